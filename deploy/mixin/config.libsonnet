// What a user of the mixin may set: `(import 'mixin.libsonnet') + { _config+:: {...} }`.
{
  _config+:: {
    // Matchers that pick quotameter's own series out of a shared Prometheus, such as
    // 'job="quotameter"', put into every selector of an exporter metric in the rules and
    // dashboards. Empty: match by metric name alone, as deploy/rules/quotameter.rules.yaml
    // (rendered with these defaults) does.
    jobSelector: '',

    // The label that tells clusters apart where one Prometheus, Thanos or Mimir holds
    // several: the ServiceMonitor's relabeling (Helm value clusterName) adds it, the
    // alert descriptions look related series up by it and the dashboards filter on it.
    clusterLabel: 'cluster',

    // The built-in default of each alert's threshold. Every alert reads its threshold from
    // the recorded series quotameter:alert_threshold, which prefers the override series
    // (see thresholdOverrides) and falls back to these.
    thresholds: {
      QuotameterQuotaAlmostFull: 0.9,  // saturation (used / hard)
      QuotameterQuotaExhausted: 1,  // saturation
      QuotameterQuotaExhaustionForecast: 24,  // hours ahead
      QuotameterPodsRejectedByQuota: 0,  // refusals tolerated per 10 minutes
      QuotameterContainersWithoutLimits: 0,  // containers tolerated per namespace and resource
      QuotameterQuotaOvercommit: 1,  // sum of quota hard over capacity
      QuotameterBudgetForecastExceeded: 1,  // fraction of the monthly budget
      QuotameterBudgetExceeded: 1,  // fraction of the monthly budget
      QuotameterLedgerStale: 300,  // seconds since the last ledger flush
    },

    // Overrides for some namespaces, resources or teams, recorded by prometheusRules as
    // quotameter:alert_threshold:override series; the most specific one wins. Each is
    // {alert: 'QuotameterQuotaAlmostFull', value: 0.8, namespace: 'prod'} with any of
    // namespace, resource and team (budgets take team; overcommit takes resource only).
    thresholdOverrides: [],

    // Where each alert's runbook_url points; %s is the alert's name in lower case.
    runbookURLPattern: 'docs/runbooks/alerts.md#%s',
  },
}
