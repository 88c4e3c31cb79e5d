// Command kubecheck validates Kubernetes manifests offline, as CI has no
// cluster and no network: every document is decoded strictly into its
// Kubernetes API type (an unknown or misspelt field is an error), and the
// pieces are checked to fit together — selectors that select, probes on
// the admin port, a non-root read-only container, a grace period longer
// than the gateway's shutdown_grace, the Prometheus scrape reaching the
// admin Service. With -config F it writes the ConfigMap's config.yaml to F,
// for `scimgw validate`.
//
//	go run . [-config F] manifest.yaml...
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// serviceMonitor is the part of the Prometheus Operator's ServiceMonitor
// this chart uses (no Go type for it in k8s.io/api).
type serviceMonitor struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Endpoints []struct {
			Port     string `json:"port"`
			Path     string `json:"path"`
			Interval string `json:"interval"`
		} `json:"endpoints"`
	} `json:"spec"`
}

type manifests struct {
	deployments []appsv1.Deployment
	services    []corev1.Service
	configMaps  []corev1.ConfigMap
	secrets     []corev1.Secret
	hpas        []autoscalingv2.HorizontalPodAutoscaler
	pdbs        []policyv1.PodDisruptionBudget
	monitors    []serviceMonitor
}

func main() {
	configOut := flag.String("config", "", "write the ConfigMap's config.yaml here")
	flag.Parse()
	var m manifests
	var problems []string
	for _, f := range flag.Args() {
		data, err := os.ReadFile(f)
		if err != nil {
			fail(err.Error())
		}
		for i, doc := range bytes.Split(data, []byte("\n---")) {
			if p := m.decode(doc); p != "" {
				problems = append(problems, fmt.Sprintf("%s: document %d: %s", f, i+1, p))
			}
		}
	}
	problems = append(problems, m.check()...)
	if len(problems) > 0 {
		fail(strings.Join(problems, "\n"))
	}
	if *configOut != "" {
		os.WriteFile(*configOut, []byte(m.configMaps[0].Data["config.yaml"]), 0o600)
	}
	fmt.Printf("kubecheck: %d Deployment, %d Service, %d ConfigMap, %d Secret, %d HorizontalPodAutoscaler, %d PodDisruptionBudget, %d ServiceMonitor: ok\n",
		len(m.deployments), len(m.services), len(m.configMaps), len(m.secrets), len(m.hpas), len(m.pdbs), len(m.monitors))
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "kubecheck:", msg)
	os.Exit(1)
}

// decode reads one document strictly into its type.
func (m *manifests) decode(doc []byte) string {
	var head struct{ APIVersion, Kind string }
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return err.Error()
	}
	switch head.APIVersion + " " + head.Kind {
	case " ":
		return "" // empty (a comment only)
	case "apps/v1 Deployment":
		return strict(doc, head.Kind, &m.deployments)
	case "v1 Service":
		return strict(doc, head.Kind, &m.services)
	case "v1 ConfigMap":
		return strict(doc, head.Kind, &m.configMaps)
	case "v1 Secret":
		return strict(doc, head.Kind, &m.secrets)
	case "autoscaling/v2 HorizontalPodAutoscaler":
		return strict(doc, head.Kind, &m.hpas)
	case "policy/v1 PodDisruptionBudget":
		return strict(doc, head.Kind, &m.pdbs)
	case "monitoring.coreos.com/v1 ServiceMonitor":
		return strict(doc, head.Kind, &m.monitors)
	}
	return fmt.Sprintf("unexpected %s %s", head.APIVersion, head.Kind)
}

// strict decodes doc into a new T, refusing unknown fields, and adds it
// to list.
func strict[T any](doc []byte, kind string, list *[]T) string {
	var v T
	if err := yaml.UnmarshalStrict(doc, &v); err != nil {
		return kind + ": " + err.Error()
	}
	*list = append(*list, v)
	return ""
}

// check fits the pieces together.
func (m *manifests) check() []string {
	var p []string
	bad := func(format string, a ...any) { p = append(p, fmt.Sprintf(format, a...)) }
	if len(m.deployments) != 1 || len(m.configMaps) != 1 {
		bad("want one Deployment and one ConfigMap, have %d and %d", len(m.deployments), len(m.configMaps))
		return p
	}
	d := m.deployments[0]
	pod := d.Spec.Template
	if sel, err := metaSelector(d.Spec.Selector.MatchLabels); err != nil || !sel.Matches(labels.Set(pod.Labels)) {
		bad("Deployment %s: its selector does not select its pods", d.Name)
	}
	if len(pod.Spec.Containers) != 1 {
		bad("Deployment %s: want one container", d.Name)
		return p
	}
	c := pod.Spec.Containers[0]
	ports := map[string]int32{}
	for _, cp := range c.Ports {
		ports[cp.Name] = cp.ContainerPort
	}
	if ports["http"] == 0 || ports["admin"] == 0 {
		bad("container %s: needs ports http and admin", c.Name)
	}
	for name, probe := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Port.String() != "admin" {
			bad("container %s: the %s probe must be an HTTP GET on the admin port", c.Name, name)
		}
	}
	if c.LivenessProbe != nil && c.LivenessProbe.HTTPGet != nil && c.LivenessProbe.HTTPGet.Path != "/healthz" ||
		c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil && c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		bad("container %s: probes are /healthz (liveness) and /readyz (readiness)", c.Name)
	}
	sc, psc := c.SecurityContext, pod.Spec.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		bad("container %s: needs a read-only root filesystem and no privilege escalation", c.Name)
	}
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		bad("Deployment %s: pods must run as non-root", d.Name)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
		bad("container %s: needs CPU and memory requests", c.Name)
	}
	grace := shutdownGrace(m.configMaps[0].Data["config.yaml"])
	if tg := pod.Spec.TerminationGracePeriodSeconds; tg == nil || *tg <= grace {
		bad("Deployment %s: terminationGracePeriodSeconds must exceed server.shutdown_grace (%d s)", d.Name, grace)
	}
	mounted := false
	for _, v := range pod.Spec.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == m.configMaps[0].Name {
			mounted = true
		}
	}
	if !mounted {
		bad("Deployment %s: does not mount ConfigMap %s", d.Name, m.configMaps[0].Name)
	}
	var admin *corev1.Service
	for i, s := range m.services {
		sel, _ := metaSelector(s.Spec.Selector)
		if len(s.Spec.Selector) == 0 || !sel.Matches(labels.Set(pod.Labels)) {
			bad("Service %s: does not select the gateway's pods", s.Name)
		}
		for _, sp := range s.Spec.Ports {
			if ports[sp.TargetPort.String()] == 0 {
				bad("Service %s: port %s targets %q, not a container port", s.Name, sp.Name, sp.TargetPort.String())
			}
			if sp.TargetPort.String() == "admin" {
				admin = &m.services[i]
				if s.Spec.Type != corev1.ServiceTypeClusterIP {
					bad("Service %s: the admin port must stay internal (ClusterIP)", s.Name)
				}
			}
		}
	}
	for _, h := range m.hpas {
		if h.Spec.ScaleTargetRef.Kind != "Deployment" || h.Spec.ScaleTargetRef.Name != d.Name || h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 {
			bad("HorizontalPodAutoscaler %s: must scale Deployment %s from 2 replicas", h.Name, d.Name)
		}
	}
	multi := len(m.hpas) > 0 || d.Spec.Replicas != nil && *d.Spec.Replicas > 1
	if multi && !strings.Contains(m.configMaps[0].Data["config.yaml"], "driver: postgres") {
		bad("several replicas need state.driver postgres")
	}
	for _, b := range m.pdbs {
		sel, err := metaSelector(b.Spec.Selector.MatchLabels)
		if err != nil || !sel.Matches(labels.Set(pod.Labels)) {
			bad("PodDisruptionBudget %s: does not select the gateway's pods", b.Name)
		}
	}
	for _, sm := range m.monitors {
		sel, _ := metaSelector(sm.Spec.Selector.MatchLabels)
		if admin == nil || !sel.Matches(labels.Set(admin.Labels)) {
			bad("ServiceMonitor %s: does not select the admin Service", sm.Metadata.Name)
		}
		if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "admin" || sm.Spec.Endpoints[0].Path != "/metrics" {
			bad("ServiceMonitor %s: must scrape /metrics on port admin", sm.Metadata.Name)
		}
	}
	return p
}

func metaSelector(m map[string]string) (labels.Selector, error) {
	if len(m) == 0 {
		return labels.Nothing(), fmt.Errorf("empty selector")
	}
	return labels.SelectorFromSet(m), nil
}

// shutdownGrace reads server.shutdown_grace (seconds; default 15).
func shutdownGrace(config string) int64 {
	var c struct {
		Server struct {
			ShutdownGrace string `json:"shutdown_grace"`
		} `json:"server"`
	}
	yaml.Unmarshal([]byte(config), &c)
	var s int64 = 15
	fmt.Sscanf(strings.TrimSuffix(c.Server.ShutdownGrace, "s"), "%d", &s)
	return s
}
