"""The I/O edge towards the Kubernetes API: auth, an aiohttp client, paginated LIST,
WATCH streams and the informer loops that feed a Sink."""
