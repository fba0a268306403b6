// prometheusAlerts: quotameter's alerting rules. Each group also records the thresholds
// its alerts read (quotameter:alert_threshold), before them: rules of a group run in
// order, so an alert sees the threshold of the same evaluation, and these groups work
// loaded on their own.
{
  prometheusAlerts+:: {
    groups+: [
      (import 'quotas.libsonnet').group($._config),
      (import 'cost.libsonnet').group($._config),
      (import 'health.libsonnet').group($._config),
    ],
  },
}
