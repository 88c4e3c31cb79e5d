{{- define "scimgw.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "scimgw.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "scimgw.labels" -}}
app.kubernetes.io/name: {{ include "scimgw.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "scimgw.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scimgw.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}


{{/* Several replicas may run: the embedded state store would lose writes. */}}
{{- define "scimgw.multi" -}}
{{- if or (gt (int .Values.replicaCount) 1) .Values.autoscaling.enabled -}}true{{- end -}}
{{- end -}}

{{- define "scimgw.check" -}}
{{- if and (include "scimgw.multi" .) (not (contains "driver: postgres" .Values.config)) -}}
{{- fail "several replicas (replicaCount > 1 or autoscaling) need the shared store: set state.driver: postgres and dsn: \"${SCIMGW_PG_DSN}\" in config, and postgres.dsn or postgres.existingSecret" -}}
{{- end -}}
{{- if and (contains "driver: postgres" .Values.config) (not (or .Values.postgres.dsn .Values.postgres.existingSecret)) -}}
{{- fail "state.driver postgres needs postgres.dsn or postgres.existingSecret" -}}
{{- end -}}
{{- end -}}
