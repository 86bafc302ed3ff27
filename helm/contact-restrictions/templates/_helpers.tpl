{{/*
Chart name, truncated to the 63 characters a DNS label allows.
*/}}
{{- define "crs.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: <release>-<chart>, or the release name alone when it
already contains the chart name.
*/}}
{{- define "crs.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "crs.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels shared by every object of the release.
*/}}
{{- define "crs.labels" -}}
helm.sh/chart: {{ include "crs.chart" . }}
{{ include "crs.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: contact-restrictions
{{- end }}

{{/*
Selector labels (immutable on a Deployment: never add to these).
*/}}
{{- define "crs.selectorLabels" -}}
app.kubernetes.io/name: {{ include "crs.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Selector of the API pods only. The migration Job's pods carry component
"migrations", so the Service never sends traffic to them.
*/}}
{{- define "crs.apiSelectorLabels" -}}
{{ include "crs.selectorLabels" . }}
app.kubernetes.io/component: api
{{- end }}

{{- define "crs.migrationSelectorLabels" -}}
{{ include "crs.selectorLabels" . }}
app.kubernetes.io/component: migrations
{{- end }}

{{- define "crs.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "crs.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference: repository@digest when a digest is given, else repository:tag.
*/}}
{{- define "crs.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
Hardened security contexts, shared by the Deployment and the migration Job.
UID/GID 10001 is the non-root user baked into the image.
*/}}
{{- define "crs.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "crs.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
privileged: false
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
DATABASE_URL, always from the pre-existing Secret (never a literal).
*/}}
{{- define "crs.databaseUrlEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret.name | quote }}
      key: {{ .Values.database.existingSecret.key | quote }}
{{- end }}

{{/*
WEBHOOK_SECRETS_KEYS, the keys sealing the webhook signing secrets at rest, always from the
pre-existing Secret (the pods will not start without it).
*/}}
{{- define "crs.secretsKeysEnv" -}}
- name: WEBHOOK_SECRETS_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ .Values.webhooks.secretsKeys.existingSecret.name | quote }}
      key: {{ .Values.webhooks.secretsKeys.existingSecret.key | quote }}
{{- end }}

{{/*
OIDC_ROLE_MAP from an existing Secret, when oidc.roleMapExistingSecret names one
(otherwise it is in the ConfigMap).
*/}}
{{- define "crs.roleMapEnv" -}}
{{- with .Values.oidc.roleMapExistingSecret }}
{{- if .name }}
- name: OIDC_ROLE_MAP
  valueFrom:
    secretKeyRef:
      name: {{ .name | quote }}
      key: {{ .key | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Checks of combinations the schema cannot express well. The identity settings
are checked here rather than by the schema so that the message can say why:
the schema's own "length must be >= 1" would not.
*/}}
{{- define "crs.validate" -}}
{{- $oidc := .Values.oidc }}
{{- if not $oidc.issuer }}
{{- fail "oidc.issuer is required: every request is authenticated with a token from your identity provider, and `crs serve` will not start without its issuer (e.g. https://login.microsoftonline.com/<tenant-id>/v2.0 or https://sso.example.gov.uk/realms/<realm>)" }}
{{- end }}
{{- if not $oidc.audience }}
{{- fail "oidc.audience is required with oidc.issuer: without it a token the identity provider issued for any other application would be accepted (e.g. api://contact-restrictions)" }}
{{- end }}
{{- if and (not $oidc.roleMap) (not $oidc.roleMapExistingSecret.name) }}
{{- fail "oidc.roleMap (or oidc.roleMapExistingSecret.name) is required: it maps your identity provider's role names to the policy profile's roles, and without it every token has no role and every request is refused" }}
{{- end }}
{{- if and $oidc.roleMap $oidc.roleMapExistingSecret.name }}
{{- fail "set oidc.roleMap or oidc.roleMapExistingSecret.name, not both" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not be greater than autoscaling.maxReplicas" }}
{{- end }}
{{- if le (int .Values.terminationGracePeriodSeconds) (int .Values.lifecycle.preStopSleepSeconds) }}
{{- fail "terminationGracePeriodSeconds must be greater than lifecycle.preStopSleepSeconds" }}
{{- end }}
{{- end }}

{{/*
Egress the API pods and the migration Job both need: DNS and PostgreSQL.
An empty "to" list leaves the destination open on that port only.
*/}}
{{- define "crs.egressBaseRules" -}}
{{- $eg := .Values.networkPolicy.egress -}}
# DNS.
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
  {{- with $eg.dns.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
# PostgreSQL.
- ports:
    - port: {{ $eg.database.port }}
      protocol: TCP
  {{- with $eg.database.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/*
Egress of the API pods: the base rules, the identity provider, the webhook
endpoints while the dispatcher runs and, optionally, the OTLP collector.
*/}}
{{- define "crs.egressRules" -}}
{{- $eg := .Values.networkPolicy.egress -}}
{{ include "crs.egressBaseRules" . }}
{{- if $eg.otlp.enabled }}
# OTLP collector (traces).
- ports:
    - port: {{ $eg.otlp.port }}
      protocol: TCP
  {{- with $eg.otlp.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
# Identity provider (OIDC discovery and signing keys over HTTPS): every
# request's token is checked against its keys.
- ports:
    {{- range include "crs.identityProviderPorts" . | fromJsonArray }}
    - port: {{ int . }}
      protocol: TCP
    {{- end }}
  {{- with $eg.identityProvider.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- if .Values.events.dispatcher.enabled }}
# Webhook deliveries to the subscribers' endpoints.
- ports:
    {{- range $eg.webhooks.ports }}
    - port: {{ int . }}
      protocol: TCP
    {{- end }}
  {{- with $eg.webhooks.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end }}

{{/*
Where the webhook CA bundle is mounted (a directory of its own, read-only), and the file
WEBHOOK_CA_FILE names in it.
*/}}
{{- define "crs.webhookCaDir" -}}
/etc/contact-restrictions/webhook-ca
{{- end }}

{{- define "crs.webhookCaFile" -}}
{{ include "crs.webhookCaDir" . }}/ca.pem
{{- end }}

{{/*
Ports to the identity provider, as a JSON list: networkPolicy.egress.identityProvider.ports
when given, else the ports of oidc.issuer and oidc.jwksUrl (443 unless the URL names one).
*/}}
{{- define "crs.identityProviderPorts" -}}
{{- $ports := .Values.networkPolicy.egress.identityProvider.ports }}
{{- if not $ports }}
{{- range $url := compact (list .Values.oidc.issuer .Values.oidc.jwksUrl) }}
{{- $host := (urlParse $url).host }}
{{- $port := 443 }}
{{- if regexMatch ":[0-9]+$" $host }}
{{- $port = regexFind "[0-9]+$" $host | int }}
{{- end }}
{{- $ports = append $ports $port }}
{{- end }}
{{- end }}
{{- $ports | uniq | toJson }}
{{- end }}
