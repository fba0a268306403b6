// The budget alerts: the month-end projection and the month so far, against each team's
// monthly budget (a budget of 0 means none was set).
local promql = import '../lib/promql.libsonnet';

{
  group(c)::
    local m(name) = promql.selector(c, name);
    local money(metric) = promql.seriesLookup(c, metric, ['team'], promql.shown.money);
    local overBudget(name, spent) = promql.expr(|||
      %(spent)s / (%(budget)s > 0)
      > on (team) group_left ()
      quotameter:alert_threshold{alert="%(name)s"}
    ||| % { spent: m(spent), budget: m('quotameter_team_budget'), name: name });
    local ofBudget = "(in the pricing file's currency): {{ $value | humanizePercentage }} of it.";
    {
      name: 'quotameter.cost',
      rules: [
        // Fractions of the monthly budget, per team.
        promql.labelThreshold(c, 'QuotameterBudgetForecastExceeded', 'team', m('quotameter_team_budget')),
        promql.labelThreshold(c, 'QuotameterBudgetExceeded', 'team', m('quotameter_team_budget')),
        {
          alert: 'QuotameterBudgetForecastExceeded',
          expr: overBudget('QuotameterBudgetForecastExceeded', 'quotameter_team_cost_projected'),
          'for': '1h',
          labels: { severity: 'info' },
          annotations: {
            summary: 'Team {{ $labels.team }} is on course for {{ $value | humanizePercentage }} of its monthly budget.',
            description: std.join(' ', [
              "At this month's rate so far, team {{ $labels.team }} will spend",
              money('quotameter_team_cost_projected'),
              'by the end of the month against a budget of',
              money('quotameter_team_budget'),
              ofBudget,
            ]),
            runbook_url: promql.runbook(c, 'QuotameterBudgetForecastExceeded'),
          },
        },
        {
          alert: 'QuotameterBudgetExceeded',
          expr: overBudget('QuotameterBudgetExceeded', 'quotameter_team_cost_month_to_date'),
          'for': '15m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Team {{ $labels.team }} has spent {{ $value | humanizePercentage }} of its monthly budget.',
            description: std.join(' ', [
              'Team {{ $labels.team }} has spent',
              money('quotameter_team_cost_month_to_date'),
              'so far this month against a monthly budget of',
              money('quotameter_team_budget'),
              ofBudget,
            ]),
            runbook_url: promql.runbook(c, 'QuotameterBudgetExceeded'),
          },
        },
      ],
    },
}
