{{/* Names: <release>-<chart> unless overridden, truncated to 63 chars (DNS label). */}}
{{- define "tandem.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tandem.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The three apps and their ports (contract.md). */}}
{{- define "tandem.ports" -}}
auth: 3001
commerce: 3002
realtime: 3003
{{- end -}}

{{- define "tandem.appFullname" -}}
{{- printf "%s-%s" (include "tandem.fullname" .root) .app | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: immutable, so no version and nothing that changes on upgrade. */}}
{{- define "tandem.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tandem.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .app }}
{{- end -}}

{{/* All labels. Call with (dict "root" $ "app" "<component>"). */}}
{{- define "tandem.labels" -}}
{{ include "tandem.selectorLabels" . }}
app.kubernetes.io/part-of: tandem
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "tandem.image" -}}
{{- $img := .image -}}
{{- if $img.digest -}}
{{- printf "%s/%s@%s" $img.registry $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s/%s:%s" $img.registry $img.repository $img.tag -}}
{{- end -}}
{{- end -}}

{{- define "tandem.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tandem.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* env entry reading a key of an existing Secret. */}}
{{- define "tandem.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end -}}

{{- define "tandem.url" -}}
{{- printf "http://%s:%v" (include "tandem.appFullname" (dict "root" .root "app" .app)) (get (include "tandem.ports" .root | fromYaml) .app) -}}
{{- end -}}

{{/*
TRUST_PROXY_HOPS of every app: how many proxies stand between the client and the pod, so the
apps take the client IP from X-Forwarded-For past exactly those (docs/deploy.md, "Client IP
behind proxies"). config.trustProxyHops when set; otherwise 1 when the chart's Ingress or
HTTPRoute is on (the controller or gateway is the one proxy), else 0 (clients reach the pods
directly, e.g. a port-forward or a LoadBalancer Service).
*/}}
{{- define "tandem.trustProxyHops" -}}
{{- if kindIs "invalid" .Values.config.trustProxyHops -}}
{{- if or .Values.ingress.enabled .Values.httpRoute.enabled -}}1{{- else -}}0{{- end -}}
{{- else -}}
{{- .Values.config.trustProxyHops | int -}}
{{- end -}}
{{- end -}}
