{{/* The chart's name, or nameOverride. */}}
{{- define "quotameter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Object names: the release name when it already says quotameter (so the default
release `quotameter` gives the kustomize base's names), else <release>-<name>. */}}
{{- define "quotameter.fullname" -}}
{{- $name := include "quotameter.name" . -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* What selects one component's pods: call with (dict "root" $ "component" "exporter"). */}}
{{- define "quotameter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "quotameter.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Every object's labels: the selector labels and Helm's bookkeeping. */}}
{{- define "quotameter.labels" -}}
{{ include "quotameter.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* repository:tag, or repository:tag@digest once a digest is pinned. */}}
{{- define "quotameter.image" -}}
{{- $ref := printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $ref .Values.image.digest -}}
{{- else -}}
{{- $ref -}}
{{- end -}}
{{- end -}}

{{/* The pricing file's text: the value, else the shipped list prices. */}}
{{- define "quotameter.pricing" -}}
{{- .Values.pricing | default (.Files.Get "files/pricing.yaml") -}}
{{- end -}}
