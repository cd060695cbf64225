{{/* Name of the release's objects. */}}
{{- define "vestibule.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "vestibule.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Labels that select the operator pods. */}}
{{- define "vestibule.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* The ServiceAccount's name. */}}
{{- define "vestibule.serviceAccountName" -}}
{{- default (include "vestibule.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* An image reference from {repository, tag, digest}: the digest wins over the tag, and the tag
defaults to the chart's appVersion. Call with (list .Values.image $). */}}
{{- define "vestibule.image" -}}
{{- $image := index . 0 -}}
{{- $root := index . 1 -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository (default $root.Chart.AppVersion $image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Labels the operator puts on every IdP pod (operator/src/names.rs: selector_labels and
tenant_labels); the PodMonitor and the NetworkPolicy select on them. */}}
{{- define "vestibule.idpSelectorLabels" -}}
app.kubernetes.io/name: vestibule-idp
app.kubernetes.io/managed-by: vestibule-operator
{{- end -}}

{{/* Whether the operator gets a PodDisruptionBudget: podDisruptionBudget.enabled, or when it is
null, more than one replica. */}}
{{- define "vestibule.pdbEnabled" -}}
{{- if kindIs "invalid" .Values.podDisruptionBudget.enabled -}}
{{- if gt (int .Values.replicaCount) 1 }}true{{ end -}}
{{- else if .Values.podDisruptionBudget.enabled -}}
true
{{- end -}}
{{- end -}}

{{/* The PodDisruptionBudget's apiVersion: policy/v1 when the cluster serves it (Kubernetes 1.21
and later). `helm template` assumes every API version exists, so the Kubernetes version decides
too: `--kube-version 1.20.2` renders policy/v1beta1. */}}
{{- define "vestibule.pdbApiVersion" -}}
{{- if and (.Capabilities.APIVersions.Has "policy/v1") (semverCompare ">=1.21-0" .Capabilities.KubeVersion.Version) -}}
policy/v1
{{- else -}}
policy/v1beta1
{{- end -}}
{{- end -}}
