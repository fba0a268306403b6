"""The ResourceQuota machinery shared by admission and the quota controller: which
quotas an object falls under (`scopes`), what it charges (`evaluators`) and the
controller's recount of status.used (`recount`). Written from the behaviour of
pkg/quota/v1 in Kubernetes v1.36."""
