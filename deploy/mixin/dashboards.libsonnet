// grafanaDashboards: the dashboards that `python -m dashboards.build` writes, by file name.
// deploy/generate.py copies them into dashboards/ here, with index.libsonnet listing them,
// so the mixin vendors as one folder. _config's clusterLabel and jobSelector go into
// their queries: the generator writes every exporter selector as `name{cluster=~"$cluster"`
// and every grouping by cluster as `by (cluster, `, which is what is rewritten below.
local boards = import 'dashboards/index.libsonnet';

local rewrite(c, query) =
  local label = c.clusterLabel;
  local job = if c.jobSelector == '' then '' else c.jobSelector + ', ';
  std.foldl(
    function(text, pair) std.strReplace(text, pair[0], pair[1]),
    [
      ['{cluster=~"$cluster"', '{%s%s=~"$cluster"' % [job, label]],
      [', cluster=~"$cluster"', ', %s%s=~"$cluster"' % [job, label]],
      ['by (cluster, ', 'by (%s, ' % label],
      [
        'label_values(quotameter_build_info, cluster)',
        'label_values(%s, %s)' % [
          (import 'lib/promql.libsonnet').selector(c, 'quotameter_build_info'),
          label,
        ],
      ],
    ],
    query
  );

local queryFields = ['expr', 'query', 'definition'];
// Objects of Grafana's "organize fields" transformation, keyed by column (label) name.
local columnFields = ['indexByName', 'excludeByName', 'renameByName'];

// Every query of a dashboard rewritten, and the cluster column of tables renamed.
local adapt(c, node, columns=false) =
  if std.isArray(node) then [adapt(c, v) for v in node]
  else if !std.isObject(node) then node
  else {
    [if columns && key == 'cluster' then c.clusterLabel else key]:
      local value = node[key];
      if std.member(queryFields, key) && std.isString(value) then rewrite(c, value)
      else adapt(c, value, std.member(columnFields, key))
    for key in std.objectFields(node)
  };

{
  grafanaDashboards+:: {
    [name]: adapt($._config, boards[name])
    for name in std.objectFields(boards)
  },
}
