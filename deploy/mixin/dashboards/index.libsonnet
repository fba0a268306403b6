// Generated from dashboards/*.json by deploy/generate.py: do not edit.
{
  'quotameter-costs.json': import 'quotameter-costs.json',
  'quotameter-exporter.json': import 'quotameter-exporter.json',
  'quotameter-quotas.json': import 'quotameter-quotas.json',
}
