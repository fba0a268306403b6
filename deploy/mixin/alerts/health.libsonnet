// The exporter's own health: informers, the ledger, and the exporter being scraped at all.
local promql = import '../lib/promql.libsonnet';

{
  group(c)::
    local m(name) = promql.selector(c, name);
    {
      name: 'quotameter.health',
      rules: [
        // Seconds since the last ledger flush; the daemon flushes at least every 60 s.
        promql.globalThreshold(c, 'QuotameterLedgerStale'),
        {
          alert: 'QuotameterInformerNotSynced',
          expr: '%s == 0' % m('quotameter_informer_synced'),
          'for': '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'quotameter has not synced its {{ $labels.kind }} informer.',
            description: std.join(' ', [
              "quotameter's {{ $labels.kind }} informer has not finished its initial LIST for 10 minutes,",
              'so every metric built from {{ $labels.kind }} is missing or stale and /readyz answers 503.',
              'A 403 in quotameter_api_errors_total{kind="{{ $labels.kind }}"} means RBAC is missing.',
            ]),
            runbook_url: promql.runbook(c, 'QuotameterInformerNotSynced'),
          },
        },
        {
          alert: 'QuotameterLedgerStale',
          expr: promql.expr(|||
            time() - %s
            > on () group_left ()
            quotameter:alert_threshold{alert="QuotameterLedgerStale"}
          ||| % m('quotameter_ledger_last_flush_timestamp_seconds')),
          'for': '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'quotameter has not flushed its cost ledger for {{ $value | humanizeDuration }}.',
            description: std.join(' ', [
              'The cost ledger of quotameter {{ $labels.instance }} was last written {{ $value | humanizeDuration }} ago',
              '(it is flushed every 60 seconds). Month-to-date cost and the chargeback CSV lose the time',
              'since then if the process stops, and show it as coverage below 1.',
            ]),
            runbook_url: promql.runbook(c, 'QuotameterLedgerStale'),
          },
        },
        // Without this, every alert above goes quiet when the exporter does.
        {
          alert: 'QuotameterAbsent',
          expr: 'absent(%s)' % m('quotameter_build_info'),
          'for': '15m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'No quotameter metrics for 15 minutes.',
            description: std.join(' ', [
              'Prometheus has scraped no quotameter metrics for 15 minutes, so no quota, budget or',
              'ledger alert can fire. The exporter is down, not scraped, or not selected by this Prometheus.',
            ]),
            runbook_url: promql.runbook(c, 'QuotameterAbsent'),
          },
        },
      ],
    },
}
