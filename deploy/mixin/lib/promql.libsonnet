// Builders for quotameter's rules: selectors that carry the job selector, the recorded
// thresholds every alert reads, and the Go templates that put related values into words.
{
  // A PromQL number as a person writes it (0.9, 24, +Inf). jsonnet would print 0.9 as
  // 0.90000000000000002, which is the same double but not the same text.
  number(x)::
    if std.isString(x) then x
    else if x == std.floor(x) then '%d' % x
    else std.rstripChars(std.rstripChars('%.12f' % x, '0'), '.'),

  // `name{job selector, matchers...}`; the bare name when there is nothing to match.
  selector(config, name, matchers=[])::
    local all = std.filter(function(m) m != '', [config.jobSelector] + matchers);
    if all == [] then name else '%s{%s}' % [name, std.join(', ', all)],

  // A text block without its final newline, as YAML's `|-` writes an expression.
  expr(text):: std.rstripChars(text, '\n'),

  local override(alert, matchers) =
    'quotameter:alert_threshold:override{alert="%s"%s}' % [
      alert,
      std.join('', [', ' + m for m in matchers]),
    ],

  // The effective threshold of an alert keyed by (namespace, resource), one series per
  // pair that `over` (an exporter series) has: the most specific override, else the
  // default.
  namespaceResourceThreshold(config, alert, over):: {
    record: 'quotameter:alert_threshold',
    labels: { alert: alert },
    expr: $.expr(|||
      min by (namespace, resource) (%(both)s)
      or on (namespace, resource)
        group by (namespace, resource) (%(over)s)
        * on (namespace) group_left ()
        min by (namespace) (%(namespace)s)
      or on (namespace, resource)
        group by (namespace, resource) (%(over)s)
        * on (resource) group_left ()
        min by (resource) (%(resource)s)
      or on (namespace, resource)
        group by (namespace, resource) (%(over)s)
        * on () group_left ()
        (min(%(none)s) or vector(%(default)s))
    ||| % {
      both: override(alert, ['namespace!=""', 'resource!=""']),
      namespace: override(alert, ['namespace!=""', 'resource=""']),
      resource: override(alert, ['namespace=""', 'resource!=""']),
      none: override(alert, ['namespace=""', 'resource=""']),
      over: over,
      default: $.number(config.thresholds[alert]),
    }),
  },

  // The same for an alert keyed by one label (`team` for budgets, `resource` for overcommit).
  labelThreshold(config, alert, label, over):: {
    record: 'quotameter:alert_threshold',
    labels: { alert: alert },
    expr: $.expr(|||
      min by (%(label)s) (%(some)s)
      or on (%(label)s)
        group by (%(label)s) (%(over)s)
        * on () group_left ()
        (min(%(none)s) or vector(%(default)s))
    ||| % {
      label: label,
      some: override(alert, [label + '!=""']),
      none: override(alert, [label + '=""']),
      over: over,
      default: $.number(config.thresholds[alert]),
    }),
  },

  // The threshold of an alert keyed by nothing.
  globalThreshold(config, alert):: {
    record: 'quotameter:alert_threshold',
    labels: { alert: alert },
    expr: 'min(%s) or vector(%s)' % [override(alert, []), $.number(config.thresholds[alert])],
  },

  // `{{ with printf "<query>" <args> | query }}<shown>{{ end }}`: a related series' value,
  // looked up when the alert fires; `labels` are the alert's labels the query matches on.
  lookup(query, labels, shown)::
    '{{ with printf "%s" %s | query }}%s{{ end }}' % [
      query,
      std.join(' ', ['$labels.' + l for l in labels]),
      shown,
    ],

  // The value of the series `metric` of the same target (and cluster) as the alert.
  seriesLookup(config, metric, labels, shown)::
    local all = labels + ['instance', config.clusterLabel];
    $.lookup('%s{%s}' % [metric, std.join(',', [l + '=%q' for l in all])], all, shown),

  // The recorded threshold that the alert compares with.
  thresholdLookup(alert, labels, shown)::
    local matchers = ['alert=\\"%s\\"' % alert] + [l + '=%q' for l in labels];
    $.lookup('quotameter:alert_threshold{%s}' % std.join(',', matchers), labels, shown),

  // How a looked-up value is shown.
  shown: {
    local value = '{{ . | first | value | %s }}',
    // Bytes for memory and storage keys, else a plain number (cores, counts).
    quantity: '{{ if match "memory|storage" $labels.resource }}%s{{ else }}%s{{ end }}' % [
      value % 'humanize1024',
      value % 'humanize',
    ],
    money: value % 'printf "%.2f"',
    percentage: value % 'humanizePercentage',
    plain: value % 'humanize',
  },

  runbook(config, alert):: config.runbookURLPattern % std.asciiLower(alert),
}
