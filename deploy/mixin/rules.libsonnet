// prometheusRules: the threshold overrides of _config.thresholdOverrides, as the
// quotameter:alert_threshold:override series that prometheusAlerts prefers to the
// defaults. No overrides, no group.
local promql = import 'lib/promql.libsonnet';

{
  local overrides = $._config.thresholdOverrides,
  local record(o) = {
    record: 'quotameter:alert_threshold:override',
    expr: 'vector(%s)' % promql.number(o.value),
    labels: { alert: o.alert } + {
      [label]: o[label]
      for label in ['namespace', 'resource', 'team']
      if std.objectHas(o, label)
    },
  },
  prometheusRules+:: {
    groups+: if overrides == [] then [] else [
      { name: 'quotameter.thresholds', rules: [record(o) for o in overrides] },
    ],
  },
}
