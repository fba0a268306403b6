"""Server-side ``meta.k8s.io`` Tables, as kube-apiserver 1.32 renders them for ``kubectl get``.

kubectl asks for a Table in its Accept header and prints whatever columns the server sends,
so the cells here follow the apiserver's printers (pkg/printers/internalversion/printers.go),
its default table convertor (resources without a printer, such as LimitRange) and
metrics-server's convertor for metrics.k8s.io. Objects are plain dicts as stored; nothing
here mutates them.

``negotiation`` reads the Accept header, ``rendering`` builds the Table body, ``printers``
picks the printer of a resource; the per-kind cells live in ``pods``, ``core``,
``workloads`` and ``metrics``, the column definitions in ``columns`` and ``descriptions``.
"""
