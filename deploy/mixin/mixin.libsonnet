// quotameter's monitoring mixin: prometheusAlerts, prometheusRules and grafanaDashboards,
// tuned through _config (config.libsonnet). deploy/generate.py renders it with the
// defaults into deploy/rules/quotameter.rules.yaml and the PrometheusRules of deploy/.
(import 'config.libsonnet')
+ (import 'alerts/alerts.libsonnet')
+ (import 'rules.libsonnet')
+ (import 'dashboards.libsonnet')
