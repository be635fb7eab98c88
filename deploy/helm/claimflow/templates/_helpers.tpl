{{/* Names and labels. */}}
{{- define "claimflow.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "claimflow.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one process: call with (dict "root" $ "process" "worker"). */}}
{{- define "claimflow.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .process }}
{{- end -}}

{{- define "claimflow.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* Environment shared by every process: the settings of services/settings.py. */}}
{{- define "claimflow.env" -}}
- name: CLAIMFLOW_STATE_DIR
  value: /var/lib/claimflow
- name: CLAIMFLOW_TEMPORAL_SERVER
  value: {{ .Values.temporal.address | quote }}
- name: CLAIMFLOW_TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
- name: CLAIMFLOW_TASK_QUEUE
  value: {{ .Values.temporal.taskQueue | quote }}
{{- if or .Values.temporal.tls.enabled .Values.temporal.apiKey.secretName }}
- name: CLAIMFLOW_TEMPORAL_TLS
  value: "true"
{{- end }}
{{- if .Values.temporal.tls.secretName }}
- name: CLAIMFLOW_TEMPORAL_TLS_CA_FILE
  value: /etc/claimflow/temporal-tls/ca.crt
{{- if .Values.temporal.tls.mutual }}
- name: CLAIMFLOW_TEMPORAL_TLS_CERT_FILE
  value: /etc/claimflow/temporal-tls/tls.crt
- name: CLAIMFLOW_TEMPORAL_TLS_KEY_FILE
  value: /etc/claimflow/temporal-tls/tls.key
{{- end }}
{{- end }}
{{- with .Values.temporal.tls.serverName }}
- name: CLAIMFLOW_TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- if .Values.temporal.apiKey.secretName }}
- name: CLAIMFLOW_TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.temporal.apiKey.secretName }}
      key: {{ .Values.temporal.apiKey.key }}
{{- end }}
- name: CLAIMFLOW_KAFKA_BOOTSTRAP_SERVERS
  value: {{ .Values.kafka.bootstrapServers | quote }}
- name: CLAIMFLOW_KAFKA_SECURITY_PROTOCOL
  value: {{ .Values.kafka.securityProtocol | quote }}
{{- if hasPrefix "SASL_" .Values.kafka.securityProtocol }}
- name: CLAIMFLOW_KAFKA_SASL_MECHANISM
  value: {{ .Values.kafka.sasl.mechanism | quote }}
- name: CLAIMFLOW_KAFKA_SASL_USERNAME
  value: {{ .Values.kafka.sasl.username | quote }}
- name: CLAIMFLOW_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.sasl.passwordSecret.name }}
      key: {{ .Values.kafka.sasl.passwordSecret.key }}
{{- end }}
{{- if hasSuffix "SSL" .Values.kafka.securityProtocol }}
{{- if .Values.kafka.tls.caSecret.name }}
- name: CLAIMFLOW_KAFKA_SSL_CA_FILE
  value: /etc/claimflow/kafka-ca/{{ .Values.kafka.tls.caSecret.key }}
{{- end }}
{{- if .Values.kafka.tls.clientCertSecret }}
- name: CLAIMFLOW_KAFKA_SSL_CERT_FILE
  value: /etc/claimflow/kafka-client/user.crt
- name: CLAIMFLOW_KAFKA_SSL_KEY_FILE
  value: /etc/claimflow/kafka-client/user.key
{{- end }}
- name: CLAIMFLOW_KAFKA_SSL_CHECK_HOSTNAME
  value: {{ .Values.kafka.tls.checkHostname | quote }}
{{- end }}
- name: CLAIMFLOW_TOPIC_PREFIX
  value: {{ .Values.kafka.topics.prefix | quote }}
- name: CLAIMFLOW_TOPIC_PARTITIONS
  value: {{ .Values.kafka.topics.partitions | quote }}
- name: CLAIMFLOW_TOPIC_REPLICATION_FACTOR
  value: {{ .Values.kafka.topics.replicationFactor | quote }}
- name: CLAIMFLOW_TOPIC_MIN_INSYNC_REPLICAS
  value: {{ .Values.kafka.topics.minInsyncReplicas | quote }}
- name: CLAIMFLOW_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.urlSecret.name }}
      key: {{ .Values.database.urlSecret.key }}
- name: CLAIMFLOW_LOG_FORMAT
  value: {{ .Values.observability.logFormat | quote }}
- name: CLAIMFLOW_LOG_LEVEL
  value: {{ .Values.observability.logLevel | quote }}
- name: CLAIMFLOW_METRICS_HOST
  value: "0.0.0.0"
- name: CLAIMFLOW_TEMPORAL_SDK_METRICS_PORT
  value: {{ .Values.observability.temporalSdkMetricsPort | quote }}
{{- with .Values.observability.otlpEndpoint }}
- name: CLAIMFLOW_OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- range $name, $value := .Values.settings }}
- name: CLAIMFLOW_{{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Secret volumes (TLS material) and the process's writable state dir. */}}
{{- define "claimflow.volumes" -}}
- name: state
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- if .Values.temporal.tls.secretName }}
- name: temporal-tls
  secret:
    secretName: {{ .Values.temporal.tls.secretName }}
{{- end }}
{{- if and (hasSuffix "SSL" .Values.kafka.securityProtocol) .Values.kafka.tls.caSecret.name }}
- name: kafka-ca
  secret:
    secretName: {{ .Values.kafka.tls.caSecret.name }}
{{- end }}
{{- if and (hasSuffix "SSL" .Values.kafka.securityProtocol) .Values.kafka.tls.clientCertSecret }}
- name: kafka-client
  secret:
    secretName: {{ .Values.kafka.tls.clientCertSecret }}
{{- end }}
{{- end -}}

{{- define "claimflow.volumeMounts" -}}
- name: state
  mountPath: /var/lib/claimflow
- name: tmp
  mountPath: /tmp
{{- if .Values.temporal.tls.secretName }}
- name: temporal-tls
  mountPath: /etc/claimflow/temporal-tls
  readOnly: true
{{- end }}
{{- if and (hasSuffix "SSL" .Values.kafka.securityProtocol) .Values.kafka.tls.caSecret.name }}
- name: kafka-ca
  mountPath: /etc/claimflow/kafka-ca
  readOnly: true
{{- end }}
{{- if and (hasSuffix "SSL" .Values.kafka.securityProtocol) .Values.kafka.tls.clientCertSecret }}
- name: kafka-client
  mountPath: /etc/claimflow/kafka-client
  readOnly: true
{{- end }}
{{- end -}}
