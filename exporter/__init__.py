"""quotameter: quota saturation, refusals and per-team cost for shared Kubernetes clusters."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("quotameter")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
