# syntax=docker/dockerfile:1
# quotameter's image: `docker build -t quotameter:0.1.0 .` The daemon runs as `quotameter run`.

# Both stages start from python:3.11-slim-bookworm at Python 3.11.15, pinned by tag and by
# the digest of its multi-platform index (amd64 and arm64). Bump both FROM lines together;
# they are spelt out rather than taken from an ARG so that linters can check the pin.

# Build stage: the project's wheel, installed with its dependencies into a venv. Every
# runtime dependency ships manylinux wheels for amd64 and arm64, so no compiler is needed.
FROM python:3.11.15-slim-bookworm@sha256:d29f48a31a8b408ed19272ca1e7b10ebae13b240a27e862d3d4217c528e2e0c3 AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md ./
# Only the daemon: the simulated cluster (quotasim/) stays out, and `quotameter demo` in the
# image says so and exits 2.
COPY exporter ./exporter
# The venv gets no pip of its own: the stage's pip installs into it (--python).
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
    && python -m venv --without-pip /opt/quotameter \
    && python -m pip --python /opt/quotameter/bin/python install --no-cache-dir /wheels/*.whl

# Runtime stage: the base image, the venv, and a user that owns nothing.
FROM python:3.11.15-slim-bookworm@sha256:d29f48a31a8b408ed19272ca1e7b10ebae13b240a27e862d3d4217c528e2e0c3
LABEL org.opencontainers.image.title="quotameter" \
      org.opencontainers.image.description="Kubernetes quota saturation, rejections and per-team cost for shared clusters" \
      org.opencontainers.image.licenses="Apache-2.0"
# pip, setuptools and wheel are build tools; the daemon needs none of them.
RUN python -m pip uninstall --yes pip setuptools wheel \
    && groupadd --system --gid 10001 quotameter \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin quotameter
COPY --from=builder /opt/quotameter /opt/quotameter
ENV PATH=/opt/quotameter/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
EXPOSE 9184
# No HEALTHCHECK: Kubernetes ignores it and probes /healthz and /readyz itself (see
# deploy/base/deployment.yaml); one here would also need an HTTP client in the image.
# checkov:skip=CKV_DOCKER_2:Kubernetes probes /healthz and /readyz; it ignores HEALTHCHECK
ENTRYPOINT ["quotameter", "run"]
