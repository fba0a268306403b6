// The quota alerts and their thresholds: saturation, exhaustion forecast, refusals,
// containers without limits, overcommit.
local promql = import '../lib/promql.libsonnet';

{
  group(c)::
    local m(name, matchers=[]) = promql.selector(c, name, matchers);
    local quota(metric) = promql.seriesLookup(
      c, metric, ['namespace', 'quota', 'resource'], promql.shown.quantity
    );
    local threshold(alert, shown) = promql.thresholdLookup(alert, ['namespace', 'resource'], shown);
    local alert(name, rule) = rule {
      alert: name,
      annotations+: { runbook_url: promql.runbook(c, name) },
    };
    // Saturation at or past the threshold; the `hard > 0` guard keeps a hard of 0 (no
    // saturation series) from ever firing, even if an exporter sent +Inf or NaN.
    local saturated(name) = promql.expr(|||
      (
        %(ratio)s
        >= on (namespace, resource) group_left ()
        quotameter:alert_threshold{alert="%(name)s"}
      )
      and (%(hard)s > 0)
    ||| % { ratio: m('quotameter_quota_saturation_ratio'), hard: m('quotameter_quota_hard'), name: name });
    local usedOfHard = [quota('quotameter_quota_used'), 'of', quota('quotameter_quota_hard') + '.'];
    {
      name: 'quotameter.quotas',
      rules: [
        promql.namespaceResourceThreshold(c, 'QuotameterQuotaAlmostFull', m('quotameter_quota_hard')),
        promql.namespaceResourceThreshold(c, 'QuotameterQuotaExhausted', m('quotameter_quota_hard')),
        // The forecast's threshold is its horizon, in hours.
        promql.namespaceResourceThreshold(c, 'QuotameterQuotaExhaustionForecast', m('quotameter_quota_hard')),
        // Refusals tolerated per 10 minutes before the alert fires.
        promql.namespaceResourceThreshold(
          c, 'QuotameterPodsRejectedByQuota', m('quotameter_quota_rejections_total')
        ),
        promql.namespaceResourceThreshold(
          c, 'QuotameterContainersWithoutLimits', m('quotameter_namespace_containers_without_limits')
        ),
        // Sum of quota hard over cluster capacity tolerated per resource (1 = no overcommit).
        promql.labelThreshold(c, 'QuotameterQuotaOvercommit', 'resource', m('quotameter_cluster_capacity')),

        alert('QuotameterQuotaAlmostFull', {
          expr: saturated('QuotameterQuotaAlmostFull'),
          'for': '15m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Quota {{ $labels.namespace }}/{{ $labels.quota }} is {{ $value | humanizePercentage }} full on {{ $labels.resource }}.',
            description: std.join(' ', [
              'ResourceQuota {{ $labels.quota }} in namespace {{ $labels.namespace }} (team {{ $labels.team }})',
              'has used {{ $value | humanizePercentage }} of its {{ $labels.resource }} limit for 15 minutes:',
            ] + usedOfHard + [
              'This alert fires at %s.' % threshold('QuotameterQuotaAlmostFull', promql.shown.percentage),
              'Once it is full, Kubernetes refuses new pods or objects that need {{ $labels.resource }} in this namespace.',
            ]),
          },
        }),

        alert('QuotameterQuotaExhausted', {
          expr: saturated('QuotameterQuotaExhausted'),
          'for': '5m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'Quota {{ $labels.namespace }}/{{ $labels.quota }} is exhausted on {{ $labels.resource }}.',
            description: std.join(' ', [
              'ResourceQuota {{ $labels.quota }} in namespace {{ $labels.namespace }} (team {{ $labels.team }})',
              'has used {{ $value | humanizePercentage }} of its {{ $labels.resource }} limit for 5 minutes:',
            ] + usedOfHard + [
              'Kubernetes now refuses every new pod or object in this namespace that asks for more {{ $labels.resource }},',
              'including rollouts and autoscaler scale-ups.',
            ]),
          },
        }),

        // Time to full from the same least-squares line predict_linear fits: its value now,
        // and its slope (deriv). The value is seconds left; the threshold is a horizon in
        // hours. Only rising usage counts, and `used < hard` leaves out full quotas and
        // hard = 0.
        alert('QuotameterQuotaExhaustionForecast', {
          expr: promql.expr(|||
            (
              clamp_min(
                (
                  %(hard)s
                  - predict_linear(%(used)s[6h], 0)
                )
                / (deriv(%(used)s[6h]) > 0),
                0
              )
              <= on (namespace, resource) group_left ()
              (3600 * quotameter:alert_threshold{alert="QuotameterQuotaExhaustionForecast"})
            )
            and (%(used)s < %(hard)s)
          ||| % { hard: m('quotameter_quota_hard'), used: m('quotameter_quota_used') }),
          'for': '1h',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Quota {{ $labels.namespace }}/{{ $labels.quota }} will run out of {{ $labels.resource }} in about {{ $value | humanizeDuration }}.',
            description: std.join(' ', [
              'At the rate of the last 6 hours, ResourceQuota {{ $labels.quota }} in namespace {{ $labels.namespace }}',
              '(team {{ $labels.team }}) will run out of {{ $labels.resource }} in about {{ $value | humanizeDuration }}:',
              'it has used',
            ] + usedOfHard + [
              'This alert looks %s hours ahead.' % threshold('QuotameterQuotaExhaustionForecast', promql.shown.plain),
            ]),
          },
        }),

        // The exporter creates a counter at its first refusal, and increase() needs an
        // earlier sample, so a counter that appeared inside the window counts whole; but
        // only if this exporter instance was already up 10 minutes ago, or every restart
        // would replay the refusals it re-reads from existing Events.
        alert('QuotameterPodsRejectedByQuota', {
          expr: promql.expr(|||
            (
              (increase(%(rejections)s[10m]) > 0)
              or
              (
                (%(rejections)s unless %(rejections)s offset 10m)
                and on (instance) (%(build)s offset 10m)
              )
            )
            > on (namespace, resource) group_left ()
            quotameter:alert_threshold{alert="QuotameterPodsRejectedByQuota"}
          ||| % { rejections: m('quotameter_quota_rejections_total'), build: m('quotameter_build_info') }),
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Quota {{ $labels.namespace }}/{{ $labels.quota }} refused objects for lack of {{ $labels.resource }}.',
            description: std.join(' ', [
              'Kubernetes refused about {{ $value | printf "%.0f" }} object(s) in namespace {{ $labels.namespace }}',
              '(team {{ $labels.team }}) in the last 10 minutes because ResourceQuota {{ $labels.quota }}',
              'had no {{ $labels.resource }} left',
              '(' + quota('quotameter_quota_used'),
              'used of',
              quota('quotameter_quota_hard') + ').',
              'The owning Deployments, Jobs or StatefulSets are short of replicas until then.',
            ]),
          },
        }),

        // Only cpu and memory: almost nobody sets ephemeral-storage limits, so that would
        // be noise.
        alert('QuotameterContainersWithoutLimits', {
          expr: promql.expr(|||
            %s
            > on (namespace, resource) group_left ()
            quotameter:alert_threshold{alert="QuotameterContainersWithoutLimits"}
          ||| % m('quotameter_namespace_containers_without_limits', ['resource=~"cpu|memory"'])),
          'for': '1h',
          labels: { severity: 'info' },
          annotations: {
            summary: '{{ $value | humanize }} container(s) in {{ $labels.namespace }} run without a {{ $labels.resource }} limit.',
            description: std.join(' ', [
              '{{ $value | humanize }} container(s) of running pods in namespace {{ $labels.namespace }} (team {{ $labels.team }})',
              "have set no {{ $labels.resource }} limit for an hour, so they can take a node's spare",
              '{{ $labels.resource }} and are not bounded by a limits.{{ $labels.resource }} quota.',
              'This alert tolerates %s.' % threshold('QuotameterContainersWithoutLimits', promql.shown.plain),
            ]),
          },
        }),

        // What the quotas promise against what the nodes have, per resource: cpu, memory
        // and GPUs (quota keys requests.<vendor>/gpu, capacity resource "gpu"); storage
        // capacity is what claims hold, not what nodes have, so it is left out.
        // `requests.cpu` and the bare `cpu` key are the same promise; a namespace with
        // several quotas counts its largest, since scoped quotas may overlap and summing
        // them would overstate it. The key goes through a spare label because
        // label_replace onto `resource` itself would make requests.cpu and cpu of one
        // quota the same series (an evaluation error).
        alert('QuotameterQuotaOvercommit', {
          expr: promql.expr(|||
            (
              sum without (namespace, team, capacity_resource) (
                label_replace(
                  max without (quota, resource) (
                    label_replace(
                      label_replace(
                        %(hard)s,
                        "capacity_resource", "$2", "resource", "(requests\\.)?(cpu|memory)"
                      ),
                      "capacity_resource", "gpu", "resource", "requests\\.[^/]+/gpu"
                    )
                  ),
                  "resource", "$1", "capacity_resource", "(.+)"
                )
              )
              / sum without (namespace) (%(capacity)s > 0)
            )
            >= on (resource) group_left ()
            quotameter:alert_threshold{alert="QuotameterQuotaOvercommit"}
          ||| % {
            hard: m('quotameter_quota_hard', [@'resource=~"(requests\\.)?(cpu|memory)|requests\\.[^/]+/gpu"']),
            capacity: m('quotameter_cluster_capacity'),
          }),
          'for': '1h',
          labels: { severity: 'info' },
          annotations: {
            summary: "ResourceQuotas promise {{ $value | humanizePercentage }} of the cluster's {{ $labels.resource }}.",
            description: std.join(' ', [
              'The hard limits of all ResourceQuotas on {{ $labels.resource }} add up to',
              "{{ $value | humanizePercentage }} of the cluster's {{ $labels.resource }} capacity",
              '(%s),' % promql.seriesLookup(c, 'quotameter_cluster_capacity', ['resource'], promql.shown.quantity),
              'so namespaces can be refused by the scheduler while still under quota.',
              'This alert fires at %s.' % promql.thresholdLookup(
                'QuotameterQuotaOvercommit', ['resource'], promql.shown.percentage
              ),
            ]),
          },
        }),
      ],
    },
}
