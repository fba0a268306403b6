// The ServiceMonitor and PrometheusRule CRDs the install test applies, with their real
// schemas, come from this module's example/prometheus-operator-crd/ (pinned by go.sum).
// It holds no code: `go mod download -json` here yields the module's folder.
module quotameter.dev/cluster/crds

go 1.26.0

require github.com/prometheus-operator/prometheus-operator v0.85.0
