"""Checks of the Helm chart in helm/contact-restrictions.

No cluster, no database and no helm binary: the chart is linted and rendered
with the Helm v4 SDK (helm-python-sdk, imported as ``helm_python``), the
rendered manifests are validated against the Kubernetes OpenAPI schemas of the
oldest Kubernetes the chart supports (``kubeVersion`` in Chart.yaml) with
``kubernetes_validate`` in strict mode, and the values files are validated
against values.schema.json with ``jsonschema``.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python as helm
import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from kubernetes_validate.utils import all_versions  # type: ignore[import-untyped]

REPO = Path(__file__).resolve().parents[2]
CHART_DIR = REPO / "helm" / "contact-restrictions"
EXAMPLES_DIR = CHART_DIR / "examples"
BAD_VALUES_DIR = Path(__file__).resolve().parent / "bad-values"

RELEASE = "crs"
NAMESPACE = "council"
FULLNAME = f"{RELEASE}-contact-restrictions"
APP_UID = 10001

EXAMPLES = sorted(EXAMPLES_DIR.glob("*.yaml"))

# The least the chart renders with: `crs serve` will not start without an issuer and an
# audience, and without a role map every request would be refused.
REQUIRED_VALUES: dict[str, Any] = {
    "oidc": {
        "issuer": "https://sso.example.org/realms/council",
        "audience": "contact-restrictions",
        "roleMap": {"crs-team-leader": "team_leader"},
    }
}
BAD_VALUES = sorted(BAD_VALUES_DIR.glob("*.yaml"))

Manifest = dict[str, Any]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _chart_yaml() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    return data


def oldest_supported_kubernetes() -> str:
    """The lower bound of Chart.yaml's kubeVersion, e.g. ">=1.29.0-0" -> "1.29.0"."""
    constraint = _chart_yaml()["kubeVersion"]
    match = re.fullmatch(r"\s*>=\s*v?(\d+)\.(\d+)(?:\.(\d+))?(?:-0)?\s*", constraint)
    assert match, f"kubeVersion {constraint!r} is not a simple '>=X.Y.Z-0' lower bound"
    major, minor, patch = match.group(1), match.group(2), match.group(3) or "0"
    return f"{major}.{minor}.{patch}"


KUBE_VERSION = oldest_supported_kubernetes()


def schema_version_for(kube_version: str) -> str:
    """The kubernetes_validate schema set for exactly this major.minor.

    kubernetes_validate would silently fall back to an older schema set; we
    want the one that matches the chart's oldest supported Kubernetes.
    """
    wanted = ".".join(kube_version.split(".")[:2])
    shipped: dict[str, str] = {".".join(v.split(".")[:2]): str(v) for v in all_versions()}
    assert wanted in shipped, (
        f"kubernetes_validate ships no schemas for Kubernetes {wanted} "
        f"(has {sorted(shipped)}); update kubernetes-validate or kubeVersion"
    )
    return shipped[wanted]


VALIDATION_VERSION = schema_version_for(KUBE_VERSION)


def load_values(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


def header(path: Path, field: str) -> str:
    """Read a '# field: value' header line from a bad-values file."""
    for line in path.read_text().splitlines():
        match = re.fullmatch(rf"#\s*{field}:\s*(\S+)\s*", line)
        if match:
            return match.group(1)
    raise AssertionError(f"{path.name} has no '# {field}:' header")


def split_manifests(rendered: dict[str, str]) -> list[Manifest]:
    docs: list[Manifest] = []
    for template, text in sorted(rendered.items()):
        if template.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc is None:
                continue
            assert isinstance(doc, dict), f"{template} rendered a non-mapping document"
            docs.append(doc)
    return docs


def by_kind(docs: list[Manifest], kind: str) -> list[Manifest]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[Manifest], kind: str, name: str | None = None) -> Manifest:
    found = [d for d in by_kind(docs, kind) if name is None or d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def containers(pod_spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from pod_spec.get("initContainers", [])
    yield from pod_spec["containers"]


def pod_specs(docs: list[Manifest]) -> Iterator[tuple[Manifest, dict[str, Any]]]:
    for doc in docs:
        if doc["kind"] in {"Deployment", "Job", "StatefulSet", "DaemonSet"}:
            yield doc, doc["spec"]["template"]["spec"]


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chart() -> Iterator[helm.Chart]:
    with helm.Chart.load(CHART_DIR) as loaded:
        yield loaded


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CHART_DIR / "values.schema.json").read_text())
    return data


def render(chart: helm.Chart, values: dict[str, Any] | None = None) -> list[Manifest]:
    """Render with `values`, plus REQUIRED_VALUES' identity settings unless they give `oidc`."""
    values = {**copy.deepcopy(REQUIRED_VALUES), **(values or {})}
    rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    return split_manifests(rendered)


@pytest.fixture(scope="module")
def default_docs(chart: helm.Chart) -> list[Manifest]:
    return render(chart)


# ---------------------------------------------------------------------------
# lint
# ---------------------------------------------------------------------------


def _problems(report: dict[str, Any]) -> list[str]:
    """Lint errors plus every message of severity warning (2) or error (3)."""
    found = list(report.get("errors") or [])
    found += [
        f"{m['path']}: {m['error']}" for m in report.get("messages", []) if m["severity"] >= 2
    ]
    return found


def test_chart_declares_supported_kubernetes() -> None:
    chart_yaml = _chart_yaml()
    assert chart_yaml["apiVersion"] == "v2"
    assert chart_yaml["appVersion"]
    # The schemas used are those of exactly the oldest supported minor version.
    assert VALIDATION_VERSION.split(".")[:2] == KUBE_VERSION.split(".")[:2]


def test_lint_strict_passes_with_the_required_values() -> None:
    report = helm.lint(
        CHART_DIR,
        REQUIRED_VALUES,
        strict=True,
        namespace=NAMESPACE,
        kube_version=f"v{KUBE_VERSION}",
    )
    assert report["total_charts_linted"] == 1
    assert _problems(report) == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_lint_strict_passes_with_example(example: Path) -> None:
    report = helm.lint(
        CHART_DIR,
        load_values(example),
        strict=True,
        namespace=NAMESPACE,
        kube_version=f"v{KUBE_VERSION}",
    )
    assert _problems(report) == []


def test_lint_reports_bad_values() -> None:
    """Lint runs the values schema too (so it is not a no-op on values)."""
    report = helm.lint(CHART_DIR, {"replicaCount": "three"}, strict=True)
    assert _problems(report), report


# ---------------------------------------------------------------------------
# Kubernetes schema validation of the rendered manifests
# ---------------------------------------------------------------------------

# The Prometheus Operator's ServiceMonitor is a CRD, so kubernetes_validate has
# no schema for it. Instead of skipping it, the fields this chart emits are
# checked against this hand-written, closed (additionalProperties: false)
# subset of monitoring.coreos.com/v1 ServiceMonitor, and its wiring to the
# Service is checked in test_servicemonitor_targets_the_service.
_LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
# Prometheus duration, as in the CRD's pattern.
_DURATION = {
    "type": "string",
    "pattern": r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?"
    r"(([0-9]+)s)?(([0-9]+)ms)?)$",
}
SERVICE_MONITOR_SUBSET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
                "labels": _LABELS,
                "annotations": _LABELS,
            },
        },
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["selector", "endpoints"],
            "properties": {
                "selector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"matchLabels": _LABELS},
                },
                "namespaceSelector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "matchNames": {"type": "array", "items": {"type": "string"}},
                        "any": {"type": "boolean"},
                    },
                },
                "endpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["port"],
                        "properties": {
                            "port": {"type": "string"},
                            "path": {"type": "string", "pattern": "^/"},
                            "scheme": {"enum": ["http", "https"]},
                            "interval": _DURATION,
                            "scrapeTimeout": _DURATION,
                        },
                    },
                },
            },
        },
    },
}


def validate_manifest(doc: Manifest) -> None:
    if doc["apiVersion"] == "monitoring.coreos.com/v1" and doc["kind"] == "ServiceMonitor":
        jsonschema.Draft202012Validator(SERVICE_MONITOR_SUBSET_SCHEMA).validate(doc)
        return
    # Raises ValidationError on unknown or wrongly typed fields (strict), and
    # SchemaNotFoundError for a kind/apiVersion that this Kubernetes lacks.
    kubernetes_validate.validate(doc, VALIDATION_VERSION, strict=True)


RENDER_CASES = [pytest.param(None, id="defaults")] + [pytest.param(p, id=p.name) for p in EXAMPLES]


@pytest.mark.parametrize("values_file", RENDER_CASES)
def test_rendered_manifests_validate_against_kubernetes(
    chart: helm.Chart, values_file: Path | None
) -> None:
    values = load_values(values_file) if values_file else None
    docs = render(chart, values)
    assert docs, "chart rendered nothing"
    failures = []
    for doc in docs:
        try:
            validate_manifest(doc)
        except Exception as exc:  # collect all, report together
            message = getattr(exc, "message", str(exc))
            path = ".".join(str(p) for p in getattr(exc, "absolute_path", []))
            failures.append(f"{doc['kind']}/{doc['metadata']['name']}: {path}: {message}")
    assert failures == [], "\n".join(failures)


def test_strict_kubernetes_validation_rejects_unknown_field(default_docs: list[Manifest]) -> None:
    """Guard against the validation above silently accepting anything."""
    deployment = copy.deepcopy(one(default_docs, "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_manifest(deployment)


def test_servicemonitor_is_not_in_the_core_schemas(chart: helm.Chart) -> None:
    """Why the ServiceMonitor gets its own schema: kubernetes_validate has none."""
    docs = render(chart, load_values(EXAMPLES_DIR / "flintshire-cnpg.yaml"))
    monitor = one(docs, "ServiceMonitor")
    with pytest.raises(kubernetes_validate.utils.SchemaNotFoundError):
        kubernetes_validate.validate(monitor, VALIDATION_VERSION, strict=True)


def test_servicemonitor_subset_schema_rejects_unknown_field(chart: helm.Chart) -> None:
    docs = render(chart, load_values(EXAMPLES_DIR / "flintshire-cnpg.yaml"))
    monitor = copy.deepcopy(one(docs, "ServiceMonitor"))
    monitor["spec"]["endpoints"][0]["intervall"] = "30s"
    with pytest.raises(jsonschema.ValidationError):
        validate_manifest(monitor)


def test_default_render_produces_expected_objects(default_docs: list[Manifest]) -> None:
    kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in default_docs)
    assert kinds == sorted(
        [
            f"ConfigMap/{FULLNAME}",
            f"Deployment/{FULLNAME}",
            f"HorizontalPodAutoscaler/{FULLNAME}",
            f"Job/{FULLNAME}-migrate",
            f"NetworkPolicy/{FULLNAME}",
            f"NetworkPolicy/{FULLNAME}-migrate",
            f"PodDisruptionBudget/{FULLNAME}",
            f"Service/{FULLNAME}",
            f"ServiceAccount/{FULLNAME}",
        ]
    )
    # Off by default: needs the Prometheus Operator CRDs.
    assert by_kind(default_docs, "ServiceMonitor") == []


# ---------------------------------------------------------------------------
# behaviour that matters
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("values_file", RENDER_CASES)
def test_every_pod_is_hardened(chart: helm.Chart, values_file: Path | None) -> None:
    docs = render(chart, load_values(values_file) if values_file else None)
    specs = list(pod_specs(docs))
    assert {d["kind"] for d, _ in specs} == {"Deployment", "Job"}
    for doc, spec in specs:
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        pod_sc = spec["securityContext"]
        assert pod_sc["runAsNonRoot"] is True, where
        assert pod_sc["runAsUser"] == APP_UID, where
        assert pod_sc["seccompProfile"]["type"] == "RuntimeDefault", where
        assert spec["automountServiceAccountToken"] is False, where
        for container in containers(spec):
            sc = container["securityContext"]
            assert sc["runAsNonRoot"] is True, where
            assert sc["runAsUser"] == APP_UID, where
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc.get("privileged", False) is False, where
            assert sc["capabilities"]["drop"] == ["ALL"], where
            assert "add" not in sc["capabilities"], where
            assert sc["seccompProfile"]["type"] == "RuntimeDefault", where
            # The only writable path is an emptyDir at /tmp; anything else mounted (the
            # webhook CA bundle) is read-only.
            writable = {
                m["mountPath"]: m["name"]
                for m in container.get("volumeMounts", [])
                if not m.get("readOnly")
            }
            assert writable == {"/tmp": "tmp"}, where
            assert "resources" in container and container["resources"]["requests"], where
            assert "memory" in container["resources"]["limits"], where
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert "emptyDir" in volumes["tmp"], where
        for name, volume in volumes.items():
            assert name == "tmp" or set(volume) <= {"name", "configMap", "secret"}, where


def test_deployment_probes_and_shutdown(default_docs: list[Manifest]) -> None:
    deployment = one(default_docs, "Deployment")
    spec = deployment["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["command"] == ["crs", "serve"]
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]

    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"

    # Not aggressive: a pod is only taken out of the Service after >= 20 s of
    # failures, and liveness only restarts after >= 20 s of silence.
    ready = container["readinessProbe"]
    assert ready["periodSeconds"] * ready["failureThreshold"] >= 20
    assert ready["timeoutSeconds"] >= 2
    live = container["livenessProbe"]
    assert live["periodSeconds"] * live["failureThreshold"] >= 20

    # Graceful shutdown: preStop sleep, then SIGTERM, inside the grace period.
    sleep = container["lifecycle"]["preStop"]["exec"]["command"]
    assert sleep[0] == "sleep" and int(sleep[1]) > 0
    assert spec["terminationGracePeriodSeconds"] > int(sleep[1])

    strategy = deployment["spec"]["strategy"]
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0


def test_migrations_are_a_pre_install_pre_upgrade_hook(default_docs: list[Manifest]) -> None:
    job = one(default_docs, "Job")
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"].split(",")
    int(annotations["helm.sh/hook-weight"])  # must be an integer string

    spec = job["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["command"] == ["crs", "migrate"]
    assert spec["restartPolicy"] == "Never"

    # The Deployment itself never migrates.
    deployment = one(default_docs, "Deployment")
    for c in deployment["spec"]["template"]["spec"]["containers"]:
        assert "migrate" not in " ".join(c.get("command", []) + c.get("args", []))


def test_migration_job_does_not_depend_on_chart_resources(default_docs: list[Manifest]) -> None:
    """On install the hook runs before the chart's own objects exist."""
    job = one(default_docs, "Job")
    spec = job["spec"]["template"]["spec"]
    chart_objects = {
        (d["kind"], d["metadata"]["name"])
        for d in default_docs
        if "helm.sh/hook" not in d["metadata"].get("annotations", {})
    }
    assert ("ConfigMap", FULLNAME) in chart_objects  # sanity: the set is not empty

    sa = spec.get("serviceAccountName", "default")
    assert ("ServiceAccount", sa) not in chart_objects
    (container,) = spec["containers"]
    assert "envFrom" not in container
    for env in container["env"]:
        ref = env.get("valueFrom", {})
        assert "configMapKeyRef" not in ref, env
        if "secretKeyRef" in ref:
            assert ("Secret", ref["secretKeyRef"]["name"]) not in chart_objects
    for volume in spec.get("volumes", []):
        assert set(volume) <= {"name", "emptyDir"}, volume


def test_migration_network_policy_exists_before_the_job(default_docs: list[Manifest]) -> None:
    """In default-deny namespaces the Job needs its egress policy first."""
    job = one(default_docs, "Job")
    policy = one(default_docs, "NetworkPolicy", f"{FULLNAME}-migrate")
    p_ann, j_ann = policy["metadata"]["annotations"], job["metadata"]["annotations"]
    assert p_ann["helm.sh/hook"] == j_ann["helm.sh/hook"]
    assert int(p_ann["helm.sh/hook-weight"]) < int(j_ann["helm.sh/hook-weight"])
    selector = policy["spec"]["podSelector"]["matchLabels"]
    job_labels = job["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= job_labels.items()
    ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
    assert ports == {53, 5432}


def test_database_url_only_from_secret(chart: helm.Chart) -> None:
    for values_file in [None, *EXAMPLES]:
        values = load_values(values_file) if values_file else None
        docs = render(chart, values)
        seen = 0
        for doc, spec in pod_specs(docs):
            for container in containers(spec):
                for env in container.get("env", []):
                    if env["name"] != "DATABASE_URL":
                        continue
                    seen += 1
                    assert "value" not in env, f"literal DATABASE_URL in {doc['kind']}"
                    ref = env["valueFrom"]["secretKeyRef"]
                    expected = chart.merge_values(values)["database"]["existingSecret"]
                    assert ref == {"name": expected["name"], "key": expected["key"]}
        assert seen == 2, "DATABASE_URL must be set on the Deployment and the migration Job"
        for cm in by_kind(docs, "ConfigMap"):
            assert "DATABASE_URL" not in cm["data"]
            assert not any("postgres" in str(v) for v in cm["data"].values())
        assert by_kind(docs, "Secret") == [], "the chart must not create Secrets"


def test_service_selects_api_pods_only(default_docs: list[Manifest]) -> None:
    service = one(default_docs, "Service")
    selector = service["spec"]["selector"].items()
    api_labels = one(default_docs, "Deployment")["spec"]["template"]["metadata"]["labels"]
    job_labels = one(default_docs, "Job")["spec"]["template"]["metadata"]["labels"]
    assert selector <= api_labels.items()
    assert not selector <= job_labels.items(), "Service would route traffic to migration pods"
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_scaling_and_disruption(default_docs: list[Manifest], chart: helm.Chart) -> None:
    hpa = one(default_docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["scaleTargetRef"]["name"] == FULLNAME
    # With the HPA on, the Deployment must not fight it over replicas.
    deployment = one(default_docs, "Deployment")
    assert "replicas" not in deployment["spec"]
    pdb = one(default_docs, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]

    fixed = render(chart, load_values(EXAMPLES_DIR / "minimal.yaml"))
    assert by_kind(fixed, "HorizontalPodAutoscaler") == []
    assert one(fixed, "Deployment")["spec"]["replicas"] >= 2


def test_replicas_are_spread(default_docs: list[Manifest]) -> None:
    spec = one(default_docs, "Deployment")["spec"]["template"]["spec"]
    keys = {c["topologyKey"] for c in spec["topologySpreadConstraints"]}
    assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    pod_labels = one(default_docs, "Deployment")["spec"]["template"]["metadata"]["labels"]
    for constraint in spec["topologySpreadConstraints"]:
        assert constraint["labelSelector"]["matchLabels"].items() <= pod_labels.items()
    assert "podAntiAffinity" in spec["affinity"]


def test_network_policy_allows_what_the_service_needs(default_docs: list[Manifest]) -> None:
    policy = one(default_docs, "NetworkPolicy", FULLNAME)["spec"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    ingress_ports = {p["port"] for rule in policy["ingress"] for p in rule["ports"]}
    assert ingress_ports == {8000}
    egress_ports = {(p["port"], p["protocol"]) for r in policy["egress"] for p in r["ports"]}
    assert {(53, "UDP"), (53, "TCP"), (5432, "TCP")} <= egress_ports
    https = [r for r in policy["egress"] if {"port": 443, "protocol": "TCP"} in r["ports"]]
    # Every token is checked against the identity provider's keys, fetched over HTTPS.
    (idp_rule,) = [r for r in https if not is_webhook_rule(r)]
    assert "to" not in idp_rule, "identity providers have no fixed addresses by default"
    # Webhooks are delivered over HTTPS, to public addresses only.
    (webhook_rule,) = [r for r in https if is_webhook_rule(r)]
    assert webhook_rule["ports"] == [{"port": 443, "protocol": "TCP"}]


@pytest.mark.parametrize(
    ("oidc", "egress", "ports"),
    [
        ({"issuer": "https://sso.example.org:8443/realms/council"}, {}, [8443]),
        (
            {
                "issuer": "https://login.microsoftonline.com/tenant/v2.0",
                "jwksUrl": "https://keys.example.org:9443/jwks",
            },
            {},
            [443, 9443],
        ),
        ({}, {"ports": [3128], "to": [{"ipBlock": {"cidr": "10.0.0.8/32"}}]}, [3128]),
    ],
    ids=["issuer-port", "jwks-port", "egress-proxy"],
)
def test_network_policy_opens_the_identity_providers_ports(
    chart: helm.Chart, oidc: dict[str, Any], egress: dict[str, Any], ports: list[int]
) -> None:
    values: dict[str, Any] = {"oidc": {**REQUIRED_VALUES["oidc"], **oidc}}
    if egress:
        values["networkPolicy"] = {"egress": {"identityProvider": egress}}
    docs = render(chart, values)
    policy = one(docs, "NetworkPolicy", FULLNAME)["spec"]
    base = {53, 5432}
    rules = [
        r
        for r in policy["egress"]
        if not {p["port"] for p in r["ports"]} & base and not is_webhook_rule(r)
    ]
    (rule,) = rules
    assert sorted(p["port"] for p in rule["ports"]) == ports
    assert rule.get("to", []) == egress.get("to", [])
    # The migration Job talks to the database only.
    migrate = one(docs, "NetworkPolicy", f"{FULLNAME}-migrate")["spec"]
    assert {p["port"] for r in migrate["egress"] for p in r["ports"]} == base


def test_network_policy_optional_egress(chart: helm.Chart) -> None:
    docs = render(chart, load_values(EXAMPLES_DIR / "wrexham-azure.yaml"))
    policy = one(docs, "NetworkPolicy", FULLNAME)["spec"]
    rules = {p["port"]: r for r in policy["egress"] for p in r["ports"]}
    assert 443 in rules
    assert rules[5432]["to"] == [{"ipBlock": {"cidr": "10.40.8.0/28"}}]

    docs = render(chart, load_values(EXAMPLES_DIR / "flintshire-cnpg.yaml"))
    policy = one(docs, "NetworkPolicy", FULLNAME)["spec"]
    rules = {p["port"]: r for r in policy["egress"] for p in r["ports"]}
    assert 4318 in rules
    assert rules[5432]["to"] == [{"podSelector": {"matchLabels": {"cnpg.io/cluster": "crs-db"}}}]

    docs = render(chart, {"networkPolicy": {"enabled": False}})
    assert by_kind(docs, "NetworkPolicy") == []


def test_servicemonitor_targets_the_service(chart: helm.Chart) -> None:
    docs = render(chart, load_values(EXAMPLES_DIR / "flintshire-cnpg.yaml"))
    monitor = one(docs, "ServiceMonitor")
    service = one(docs, "Service")
    selector = monitor["spec"]["selector"]["matchLabels"].items()
    assert selector <= service["metadata"]["labels"].items()
    port_names = {p["name"] for p in service["spec"]["ports"]}
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint["port"] in port_names
        assert endpoint["path"] == "/metrics"
    assert monitor["spec"]["namespaceSelector"]["matchNames"] == [NAMESPACE]
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_config_reaches_the_pods(chart: helm.Chart) -> None:
    docs = render(chart, load_values(EXAMPLES_DIR / "wrexham-azure.yaml"))
    cm = one(docs, "ConfigMap")
    assert cm["data"]["POLICY_PROFILE"] == "wrexham"
    assert cm["data"]["DB_POOL_SIZE"] == "5"
    deployment = one(docs, "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["envFrom"] == [{"configMapRef": {"name": cm["metadata"]["name"]}}]
    env = {e["name"]: e for e in container["env"]}
    assert set(env) == {"DATABASE_URL", "WEBHOOK_SECRETS_KEYS"}
    # The sealing keys only ever from the Secret, never a literal value.
    assert env["WEBHOOK_SECRETS_KEYS"]["valueFrom"]["secretKeyRef"] == {
        "name": "contact-restrictions-webhook-secrets",
        "key": "WEBHOOK_SECRETS_KEYS",
    }
    assert cm["data"]["EVENT_SOURCE"] == "urn:contact-restrictions:wrexham:prod"
    assert container["image"].endswith("@sha256:" + "0" * 64)
    job = one(docs, "Job")
    job_env = {e["name"]: e for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert job_env["POLICY_PROFILE"]["value"] == "wrexham"


@pytest.mark.parametrize(
    ("values", "refused"),
    [
        ({"webhook": {"signingSecret": {"name": "crs-webhook", "key": "SECRET"}}}, "webhook"),
        ({"webhooks": {"signingSecret": {"name": "crs-webhook", "key": "S"}}}, "signingSecret"),
    ],
    ids=["webhook", "webhooks-signing-secret"],
)
def test_a_deployment_wide_webhook_secret_is_refused(
    values: dict[str, Any], refused: str, chart: helm.Chart
) -> None:
    """Each subscription's signing secret is made by the service and shown to its subscriber
    once (POST /webhooks): the app reads no deployment-wide secret, so the chart refuses one
    rather than pass it on to be ignored."""
    with pytest.raises(helm.HelmValuesError, match=refused):
        render(chart, values)


# Variables the app reads itself, outside Settings (app/observability/tracing.py).
READ_OUTSIDE_SETTINGS = frozenset({"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME"})


def settings_env_names() -> frozenset[str]:
    """The variables app.settings.Settings reads: its field names, upper-cased."""
    from app.settings import Settings

    assert not Settings.model_config.get("env_prefix"), "update this for the prefix"
    return frozenset(name.upper() for name in Settings.model_fields)


def test_read_outside_settings_is_read_by_the_app() -> None:
    source = (REPO / "app" / "observability" / "tracing.py").read_text()
    for name in READ_OUTSIDE_SETTINGS:
        assert f'"{name}"' in source, f"{name} is no longer read by the app"


@pytest.mark.parametrize(
    "values_file", [None, *EXAMPLES], ids=lambda p: p.name if p else "defaults"
)
def test_every_variable_the_chart_sets_is_read_by_the_app(
    values_file: Path | None, chart: helm.Chart
) -> None:
    """Settings ignore unknown variables, so a variable the app does not read would be
    silently dropped: the chart sets only what the app reads (config.extraEnv aside)."""
    values = load_values(values_file) if values_file else {}
    # Switch on every optional variable so that its name is checked too.
    values = copy.deepcopy(values)
    config = values.setdefault("config", {})
    config.setdefault("corsAllowOrigins", ["https://crm.example.gov.uk"])
    config.setdefault("otel", {}).setdefault("endpoint", "http://otel-collector:4318")
    oidc = values.setdefault("oidc", copy.deepcopy(REQUIRED_VALUES["oidc"]))
    oidc.setdefault("jwksUrl", "https://sso.example.org/keys")
    oidc.setdefault("clientId", "contact-restrictions")
    values.setdefault("events", {}).setdefault("source", "urn:contact-restrictions:test")
    ca_bundle = values.setdefault("webhooks", {}).setdefault("caBundle", {})
    ca_bundle.setdefault("name", "council-ca")
    # extraEnv is the escape hatch for variables libraries read; it is not the chart's own.
    assert not config.get("extraEnv")
    docs = render(chart, values)

    read = settings_env_names() | READ_OUTSIDE_SETTINGS
    config_map = one(docs, "ConfigMap")
    set_by_chart = {f"ConfigMap {name}" for name in config_map["data"]}
    assert {
        "ConfigMap CORS_ALLOW_ORIGINS",
        "ConfigMap OTEL_EXPORTER_OTLP_ENDPOINT",
        "ConfigMap OIDC_JWKS_URL",
        "ConfigMap OIDC_CLIENT_ID",
        "ConfigMap EVENT_SOURCE",
        "ConfigMap WEBHOOK_CA_FILE",
    } <= set_by_chart
    for doc, spec in pod_specs(docs):
        for container in containers(spec):
            for env in container.get("env", []):
                set_by_chart.add(f"{doc['kind']} {env['name']}")
            for source in container.get("envFrom", []):
                assert source == {"configMapRef": {"name": config_map["metadata"]["name"]}}
    assert "DATABASE_URL" in read  # from the Secret, read by Settings like the rest
    unread = sorted(entry for entry in set_by_chart if entry.split(" ", 1)[1] not in read)
    assert unread == [], f"the chart sets variables the app does not read: {unread}"


def test_config_change_rolls_the_pods(chart: helm.Chart, default_docs: list[Manifest]) -> None:
    before = one(default_docs, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    changed = render(chart, {"config": {"logLevel": "DEBUG"}})
    after = one(changed, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert before["checksum/config"] != after["checksum/config"]


# ---------------------------------------------------------------------------
# values.schema.json
# ---------------------------------------------------------------------------


def test_schema_is_a_valid_draft7_schema(schema: dict[str, Any]) -> None:
    jsonschema.Draft7Validator.check_schema(schema)


def _objects_without_closed_keys(node: Any, path: str = "#") -> Iterator[str]:
    """Yield the paths of object schemas that would accept an unknown key."""
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            extra = node.get("additionalProperties", True)
            # Either closed (false) or a typed map (labels, annotations, env).
            if extra is True or (isinstance(extra, dict) and not extra):
                yield path
        for key, value in node.items():
            yield from _objects_without_closed_keys(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _objects_without_closed_keys(value, f"{path}/{i}")


def test_schema_refuses_unknown_keys_at_every_level(schema: dict[str, Any]) -> None:
    assert list(_objects_without_closed_keys(schema)) == []
    # Every values.yaml key that holds a mapping is described by the schema.
    assert schema["additionalProperties"] is False


def test_schema_walk_detects_an_open_object() -> None:
    open_schema = {"type": "object", "properties": {"a": {"type": "object", "properties": {}}}}
    assert set(_objects_without_closed_keys(open_schema)) == {"#", "#/properties/a"}
    closed = {"type": "object", "additionalProperties": False, "properties": {}}
    assert list(_objects_without_closed_keys(closed)) == []


def test_default_values_validate(schema: dict[str, Any], chart: helm.Chart) -> None:
    values = load_values(CHART_DIR / "values.yaml")
    jsonschema.Draft7Validator(schema).validate(values)
    # What Helm actually validates: the defaults after coalescing.
    jsonschema.Draft7Validator(schema).validate(chart.merge_values({}))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_values_validate(example: Path, schema: dict[str, Any], chart: helm.Chart) -> None:
    # Helm validates the override merged onto the chart defaults.
    jsonschema.Draft7Validator(schema).validate(chart.merge_values(load_values(example)))
    chart.validate_schema(chart.merge_values(load_values(example)))


def test_there_are_examples_and_bad_values_of_each_kind() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"minimal.yaml", "wrexham-azure.yaml", "flintshire-cnpg.yaml"} <= names
    keywords = {header(p, "schema-keyword") for p in BAD_VALUES}
    assert {"type", "additionalProperties"} <= keywords


@pytest.mark.parametrize("bad", BAD_VALUES, ids=lambda p: p.name)
def test_bad_values_refused_by_jsonschema(
    bad: Path, schema: dict[str, Any], chart: helm.Chart
) -> None:
    expect, keyword = header(bad, "expect"), header(bad, "schema-keyword")
    merged = chart.merge_values(load_values(bad))
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(merged))
    assert errors, f"{bad.name} was accepted by values.schema.json"
    assert any(
        e.validator == keyword and (expect in e.json_path or expect in e.message) for e in errors
    ), [(e.validator, e.json_path, e.message) for e in errors]


@pytest.mark.parametrize("bad", BAD_VALUES, ids=lambda p: p.name)
def test_bad_values_refused_by_helm(bad: Path, chart: helm.Chart) -> None:
    expect = header(bad, "expect")
    with pytest.raises(helm.HelmValuesError) as excinfo:
        render(chart, load_values(bad))
    assert expect in str(excinfo.value)


# ---------------------------------------------------------------------------
# the identity provider's settings, as the app reads them
# ---------------------------------------------------------------------------

DATABASE_URL = "postgresql://crs:pw@db.internal:5432/crs"
# The sealing keys' Secret as the chart names it by default (no example renames it).
SEALING_KEY = "c2VhbGluZy1rZXktZm9yLXRoZS1jaGFydC10ZXN0cyE"
SEALING_SECRET = {("contact-restrictions-webhook-secrets", "WEBHOOK_SECRETS_KEYS"): SEALING_KEY}


def api_environment(docs: list[Manifest], secrets: dict[tuple[str, str], str]) -> dict[str, str]:
    """The environment the API container starts with: its ConfigMap, then its own `env`
    (which wins), Secret references looked up in `secrets` by (name, key)."""
    (container,) = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    secrets = {**SEALING_SECRET, **secrets}
    config_maps = {d["metadata"]["name"]: d["data"] for d in by_kind(docs, "ConfigMap")}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(config_maps[source["configMapRef"]["name"]])
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = entry["value"]
            continue
        ref = entry["valueFrom"]["secretKeyRef"]
        assert (ref["name"], ref["key"]) in secrets, f"{entry['name']} from an unexpected {ref}"
        env[entry["name"]] = secrets[ref["name"], ref["key"]]
    return env


def settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """app.settings.Settings read from exactly `env`, as `crs serve` reads its environment."""
    from app.settings import Settings

    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


def identity_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    from app.identity.config import IdentityConfig

    config = IdentityConfig.from_settings(settings_from(env, monkeypatch))
    assert config is not None, "the pods would have no identity provider"
    return config


# Role names are the council's IT's own: quotes, <>&, commas, spaces and Welsh letters must
# survive the JSON in the ConfigMap unchanged.
AWKWARD_ROLE_MAP = {
    "CRS.TeamLeader": "team_leader",
    'Grŵp "Arweinwyr" <tîm> & Co, Wrexham': "line_manager",
    "crs-reader": "reader",
}

FULL_OIDC = {
    "issuer": "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0",
    "audience": "api://contact-restrictions",
    "jwksUrl": "https://login.microsoftonline.com/common/discovery/v2.0/keys",
    "algorithms": ["ES256", "PS256"],
    "provider": "entra",
    "roleMap": AWKWARD_ROLE_MAP,
    "nameClaim": "preferred_username",
    "clientId": "6a1f0000-0000-0000-0000-00000000c0de",
    "jwksRefreshSeconds": 600,
    "jwksRefetchCooldownSeconds": 0,
    "jwksMaxStaleSeconds": 604800,
    "fetchTimeoutSeconds": 0.75,
    "maxTokenBytes": 65536,
    # The largest allowed: Helm prints a float this big as 1e+06, which is no integer.
    "tokenCacheMaxEntries": 1000000,
    "tokenCacheMaxTtlSeconds": 120.5,
}

# values key -> IdentityConfig attribute, and the value the attribute must have.
FULL_OIDC_EXPECTED = {
    "issuer": ("issuer", FULL_OIDC["issuer"]),
    "audience": ("audience", FULL_OIDC["audience"]),
    "jwksUrl": ("jwks_url", FULL_OIDC["jwksUrl"]),
    "algorithms": ("algorithms", ("ES256", "PS256")),
    "provider": ("provider", "entra"),
    "nameClaim": ("name_claim", "preferred_username"),
    "clientId": ("client_id", FULL_OIDC["clientId"]),
    "jwksRefreshSeconds": ("refresh_seconds", 600.0),
    "jwksRefetchCooldownSeconds": ("refetch_cooldown_seconds", 0.0),
    "jwksMaxStaleSeconds": ("max_stale_seconds", 604800.0),
    "fetchTimeoutSeconds": ("fetch_timeout_seconds", 0.75),
    "maxTokenBytes": ("max_token_bytes", 65536),
    "tokenCacheMaxEntries": ("cache_max_entries", 1_000_000),
    "tokenCacheMaxTtlSeconds": ("cache_max_ttl_seconds", 120.5),
}


def test_every_identity_value_is_checked() -> None:
    values = load_values(CHART_DIR / "values.yaml")["oidc"]
    assert set(FULL_OIDC) == set(values) - {"roleMapExistingSecret"}
    assert set(FULL_OIDC_EXPECTED) == set(FULL_OIDC) - {"roleMap"}


def test_identity_values_reach_the_app_exactly(
    chart: helm.Chart, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = render(chart, {"oidc": FULL_OIDC})
    secrets = {("contact-restrictions-database", "DATABASE_URL"): DATABASE_URL}
    env = api_environment(docs, secrets)
    assert env["OIDC_ISSUER"] == FULL_OIDC["issuer"]
    assert env["OIDC_AUDIENCE"] == FULL_OIDC["audience"]
    assert json.loads(env["OIDC_ROLE_MAP"]) == AWKWARD_ROLE_MAP

    config = identity_from(env, monkeypatch)
    assert dict(config.role_map) == AWKWARD_ROLE_MAP
    got = {key: getattr(config, attribute) for key, (attribute, _) in FULL_OIDC_EXPECTED.items()}
    assert got == {key: expected for key, (_, expected) in FULL_OIDC_EXPECTED.items()}


def test_identity_defaults_are_the_apps_own(
    chart: helm.Chart, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the required values given: the chart's defaults are what the app would use
    with no variable set at all, so the chart changes nothing the operator did not ask."""
    from app.identity.config import IdentityConfig

    docs = render(chart)
    env = api_environment(docs, {("contact-restrictions-database", "DATABASE_URL"): DATABASE_URL})
    from_chart = identity_from(env, monkeypatch)
    oidc = REQUIRED_VALUES["oidc"]
    bare = IdentityConfig(issuer=oidc["issuer"], audience=oidc["audience"])
    for attribute in IdentityConfig.__dataclass_fields__:
        if attribute != "role_map":
            assert getattr(from_chart, attribute) == getattr(bare, attribute), attribute
    assert dict(from_chart.role_map) == oidc["roleMap"]


def _secrets_for(values: dict[str, Any], role_map: dict[str, str]) -> dict[tuple[str, str], str]:
    database = values.get("database", {}).get("existingSecret", {})
    secrets = {
        (
            database.get("name", "contact-restrictions-database"),
            database.get("key", "DATABASE_URL"),
        ): DATABASE_URL
    }
    role_secret = values["oidc"].get("roleMapExistingSecret", {})
    if role_secret.get("name"):
        secrets[role_secret["name"], role_secret.get("key", "OIDC_ROLE_MAP")] = json.dumps(role_map)
    return secrets


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_each_example_configures_the_identity_provider(
    example: Path, chart: helm.Chart, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = load_values(example)
    oidc = values["oidc"]
    # An example that keeps its role map in a Secret says in a comment what goes in it.
    role_map = oidc.get("roleMap") or {"team-leader": "team_leader", "crs-reader": "reader"}
    docs = render(chart, values)
    config = identity_from(api_environment(docs, _secrets_for(values, role_map)), monkeypatch)
    assert (config.issuer, config.audience) == (oidc["issuer"], oidc["audience"])
    assert config.provider == oidc.get("provider", "generic")
    assert config.client_id == (oidc.get("clientId") or None)
    assert dict(config.role_map) == role_map


def test_role_map_from_an_existing_secret(
    chart: helm.Chart, monkeypatch: pytest.MonkeyPatch
) -> None:
    oidc = {key: value for key, value in REQUIRED_VALUES["oidc"].items() if key != "roleMap"}
    oidc["roleMapExistingSecret"] = {"name": "crs-role-map", "key": "roles.json"}
    docs = render(chart, {"oidc": oidc})
    assert "OIDC_ROLE_MAP" not in one(docs, "ConfigMap")["data"]
    (container,) = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    (entry,) = [e for e in container["env"] if e["name"] == "OIDC_ROLE_MAP"]
    assert entry == {
        "name": "OIDC_ROLE_MAP",
        "valueFrom": {"secretKeyRef": {"name": "crs-role-map", "key": "roles.json"}},
    }
    assert by_kind(docs, "Secret") == [], "the chart must not create Secrets"
    job_env = one(docs, "Job")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert "OIDC_ROLE_MAP" not in {e["name"] for e in job_env}, "migrations need no identity"

    secrets = {
        ("contact-restrictions-database", "DATABASE_URL"): DATABASE_URL,
        ("crs-role-map", "roles.json"): json.dumps(AWKWARD_ROLE_MAP),
    }
    config = identity_from(api_environment(docs, secrets), monkeypatch)
    assert dict(config.role_map) == AWKWARD_ROLE_MAP


@pytest.mark.parametrize(
    ("oidc", "message"),
    [
        ({"audience": "crs", "roleMap": {"a": "reader"}}, "oidc.issuer is required"),
        (
            {"issuer": "https://sso.example.org", "roleMap": {"a": "reader"}},
            "oidc.audience is required",
        ),
        ({"issuer": "https://sso.example.org", "audience": "crs"}, "oidc.roleMap"),
        (
            {
                "issuer": "https://sso.example.org",
                "audience": "crs",
                "roleMap": {"a": "reader"},
                "roleMapExistingSecret": {"name": "crs-role-map", "key": "OIDC_ROLE_MAP"},
            },
            "not both",
        ),
    ],
    ids=["no-issuer", "no-audience", "no-role-map", "two-role-maps"],
)
def test_chart_refuses_to_render_an_identity_it_cannot_run_with(
    chart: helm.Chart, oidc: dict[str, Any], message: str
) -> None:
    with pytest.raises(helm.HelmRenderError, match=re.escape(message)):
        render(chart, {"oidc": oidc})


def test_chart_defaults_alone_do_not_render(chart: helm.Chart) -> None:
    """`crs serve` refuses to start without an issuer: better to hear so from helm."""
    with pytest.raises(helm.HelmRenderError, match=r"oidc\.issuer is required"):
        chart.render({}, name=RELEASE, namespace=NAMESPACE, is_install=True)


def test_role_map_change_rolls_the_pods(chart: helm.Chart, default_docs: list[Manifest]) -> None:
    before = one(default_docs, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    oidc = REQUIRED_VALUES["oidc"] | {"roleMap": {"crs-team-leader": "employee"}}
    after = one(render(chart, {"oidc": oidc}), "Deployment")["spec"]["template"]["metadata"]
    assert before["checksum/config"] != after["annotations"]["checksum/config"]


# ---------------------------------------------------------------------------
# events and webhooks, as the app reads them
# ---------------------------------------------------------------------------

# The events settings the chart leaves to the app's default: the retry schedule's scale
# is for tests (production keeps every delay of the schedule).
EVENTS_NOT_SET_BY_CHART = frozenset({"webhook_retry_scale"})
# Set from an existing Secret the chart names, never from values.
EVENTS_FROM_SECRETS = frozenset({"webhook_secrets_keys"})

# (values section, key) -> the Settings field it sets.
EVENTS_VALUES = {
    ("events", "source"): "event_source",
    ("events", "expiryLookbackSeconds"): "event_expiry_lookback_seconds",
    ("dispatcher", "enabled"): "dispatcher_enabled",
    ("dispatcher", "pollSeconds"): "dispatcher_poll_seconds",
    ("dispatcher", "concurrency"): "dispatcher_concurrency",
    ("webhooks", "timeoutSeconds"): "webhook_timeout_seconds",
    ("webhooks", "requireHttps"): "webhook_require_https",
    ("webhooks", "allowPrivateAddresses"): "webhook_allow_private_addresses",
    ("webhooks", "disableAfterFailedEvents"): "webhook_disable_after_failed_events",
    ("webhooks", "rotationOverlapSeconds"): "webhook_rotation_overlap_seconds",
    ("caBundle", "name"): "webhook_ca_file",
}

# Every value away from its default, at the largest the app allows where there is one:
# Helm prints floats of a million and more as 2.592e+06.
FULL_EVENTS = {
    "events": {
        "source": "https://contact-restrictions.wrexham.example/events",
        "expiryLookbackSeconds": 7776000,
        "dispatcher": {"enabled": False, "pollSeconds": 0.25, "concurrency": 256},
    },
    "webhooks": {
        "timeoutSeconds": 60,
        "requireHttps": False,
        "allowPrivateAddresses": True,
        "disableAfterFailedEvents": 1000,
        "rotationOverlapSeconds": 2592000,
        "caBundle": {"kind": "Secret", "name": "council-ca", "key": "bundle.pem"},
    },
}

CA_DIR = "/etc/contact-restrictions/webhook-ca"
FULL_EVENTS_EXPECTED = {
    "event_source": "https://contact-restrictions.wrexham.example/events",
    "event_expiry_lookback_seconds": 7776000.0,
    "dispatcher_enabled": False,
    "dispatcher_poll_seconds": 0.25,
    "dispatcher_concurrency": 256,
    "webhook_timeout_seconds": 60.0,
    "webhook_require_https": False,
    "webhook_allow_private_addresses": True,
    "webhook_disable_after_failed_events": 1000,
    "webhook_rotation_overlap_seconds": 2592000.0,
    "webhook_ca_file": Path(CA_DIR) / "ca.pem",
}


def events_fields() -> set[str]:
    from app.settings import Settings

    return {
        name
        for name in Settings.model_fields
        if name.startswith(("event_", "webhook_", "dispatcher_"))
    }


def test_every_events_setting_is_in_the_chart() -> None:
    assert set(EVENTS_VALUES.values()) == (
        events_fields() - EVENTS_NOT_SET_BY_CHART - EVENTS_FROM_SECRETS
    )
    assert set(FULL_EVENTS_EXPECTED) == set(EVENTS_VALUES.values())


def test_events_values_reach_the_app_exactly(
    chart: helm.Chart, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = render(chart, copy.deepcopy(FULL_EVENTS))
    env = api_environment(docs, {("contact-restrictions-database", "DATABASE_URL"): DATABASE_URL})
    settings = settings_from(env, monkeypatch)
    got = {name: getattr(settings, name) for name in FULL_EVENTS_EXPECTED}
    assert got == FULL_EVENTS_EXPECTED


def test_events_defaults_are_the_apps_own(
    default_docs: list[Manifest], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = api_environment(
        default_docs, {("contact-restrictions-database", "DATABASE_URL"): DATABASE_URL}
    )
    from_chart = settings_from(env, monkeypatch)
    bare = settings_from({}, monkeypatch)
    for name in events_fields() - EVENTS_FROM_SECRETS:
        assert getattr(from_chart, name) == getattr(bare, name), name
    assert "WEBHOOK_CA_FILE" not in env
    # The sealing keys come from their Secret, whole, and the app reads them as keys.
    from app.settings import decode_sealing_key

    assert from_chart.sealing_keys() == (decode_sealing_key(SEALING_KEY),)
    assert "EVENT_SOURCE" not in env, "unset, the source names the policy profile"


def _bounds(field_name: str) -> dict[str, float]:
    from app.settings import Settings

    found: dict[str, float] = {}
    for constraint in Settings.model_fields[field_name].metadata:
        for attribute, keyword in (
            ("ge", "minimum"),
            ("gt", "exclusiveMinimum"),
            ("le", "maximum"),
            ("lt", "exclusiveMaximum"),
        ):
            if getattr(constraint, attribute, None) is not None:
                found[keyword] = getattr(constraint, attribute)
    return found


def _value_schema(schema: dict[str, Any], section: str, key: str) -> dict[str, Any]:
    properties = schema["properties"]
    where = {
        "events": properties["events"],
        "dispatcher": properties["events"]["properties"]["dispatcher"],
        "webhooks": properties["webhooks"],
        "caBundle": properties["webhooks"]["properties"]["caBundle"],
    }[section]
    found: dict[str, Any] = where["properties"][key]
    return found


@pytest.mark.parametrize(
    ("section", "key"),
    [key for key, name in EVENTS_VALUES.items() if _bounds(name)],
    ids=lambda part: str(part),
)
def test_events_bounds_are_the_apps(schema: dict[str, Any], section: str, key: str) -> None:
    """A value the app would refuse at start is refused by helm instead, and no value the
    app accepts is refused."""
    node = _value_schema(schema, section, key)
    keywords = {"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"}
    assert {k: v for k, v in node.items() if k in keywords} == _bounds(EVENTS_VALUES[section, key])


@pytest.mark.parametrize("kind", ["ConfigMap", "Secret"])
def test_webhook_ca_bundle_is_mounted_where_the_app_reads_it(
    chart: helm.Chart, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = {"kind": kind, "name": "council-ca", "key": "root-and-issuing.pem"}
    docs = render(chart, {"webhooks": {"caBundle": bundle}})
    deployment = one(docs, "Deployment")
    validate_manifest(deployment)
    spec = deployment["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    env = api_environment(docs, {("contact-restrictions-database", "DATABASE_URL"): DATABASE_URL})
    ca_file = settings_from(env, monkeypatch).webhook_ca_file

    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] != "/tmp"]
    assert mount["readOnly"] is True
    assert ca_file.parent == Path(mount["mountPath"])
    (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    source = volume["secret"] if kind == "Secret" else volume["configMap"]
    assert source.get("secretName", source.get("name")) == "council-ca"
    assert source["items"] == [{"key": "root-and-issuing.pem", "path": ca_file.name}]
    assert by_kind(docs, "Secret") == [] and len(by_kind(docs, "ConfigMap")) == 1
    # The migration Job delivers nothing.
    job_spec = one(docs, "Job")["spec"]["template"]["spec"]
    assert {v["name"] for v in job_spec["volumes"]} == {"tmp"}


def test_webhook_ca_bundle_needs_a_key(chart: helm.Chart) -> None:
    with pytest.raises(helm.HelmValuesError, match="key"):
        render(chart, {"webhooks": {"caBundle": {"kind": "Secret", "name": "ca", "key": ""}}})


def test_events_change_rolls_the_pods(chart: helm.Chart, default_docs: list[Manifest]) -> None:
    before = one(default_docs, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    after = one(render(chart, {"webhooks": {"timeoutSeconds": 5}}), "Deployment")
    assert (
        before["checksum/config"]
        != after["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    )


# ---------------------------------------------------------------------------
# the NetworkPolicy's egress to webhook endpoints
# ---------------------------------------------------------------------------

DEFAULT_WEBHOOK_TO = load_values(CHART_DIR / "values.yaml")["networkPolicy"]["egress"]["webhooks"][
    "to"
]


def is_webhook_rule(rule: dict[str, Any]) -> bool:
    """The default webhook rule: the only one that names destinations by ipBlock with
    exceptions (the private ranges)."""
    return rule.get("to") == DEFAULT_WEBHOOK_TO


def policy_allows(peers: list[dict[str, Any]], address: str) -> bool:
    """Whether ipBlock peers let `address` through (an empty list: any destination)."""
    ip = ipaddress.ip_address(address)
    if not peers:
        return True
    for peer in peers:
        block = peer["ipBlock"]
        network = ipaddress.ip_network(block["cidr"])
        if ip.version != network.version or ip not in network:
            continue
        if not any(ip in ipaddress.ip_network(cut) for cut in block.get("except", [])):
            return True
    return False


def test_default_webhook_peers_are_valid_networks() -> None:
    for peer in DEFAULT_WEBHOOK_TO:
        network = ipaddress.ip_network(peer["ipBlock"]["cidr"])
        for cut in peer["ipBlock"]["except"]:
            assert ipaddress.ip_network(cut).subnet_of(network)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.20",
        "100.64.0.1",
        "127.0.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.251",
        "::1",
        "fe80::1",
        "fd00::53",
    ],
)
def test_default_webhook_egress_refuses_private_addresses(address: str) -> None:
    from app.domain.events.addresses import forbidden_address

    assert forbidden_address(address), "the app refuses it too"
    assert not policy_allows(DEFAULT_WEBHOOK_TO, address)


@given(st.ip_addresses())
@hypothesis_settings(max_examples=500)
def test_default_webhook_egress_lets_through_every_address_the_app_delivers_to(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    """Else a delivery the app allows would time out in the cluster, with no refusal to
    say why."""
    from app.domain.events.addresses import forbidden_address

    if not forbidden_address(str(address)):
        assert policy_allows(DEFAULT_WEBHOOK_TO, str(address))


def test_default_webhook_egress_lets_public_endpoints_through() -> None:
    for address in ("51.140.10.10", "20.50.2.3", "2a01:111:f400::1"):
        assert policy_allows(DEFAULT_WEBHOOK_TO, address)


def test_webhook_egress_follows_its_values(chart: helm.Chart) -> None:
    crm = [{"ipBlock": {"cidr": "10.20.30.0/24"}}]
    values = {"networkPolicy": {"egress": {"webhooks": {"ports": [443, 8443], "to": crm}}}}
    policy = one(render(chart, values), "NetworkPolicy", FULLNAME)["spec"]
    (rule,) = [r for r in policy["egress"] if r.get("to") == crm]
    assert rule["ports"] == [{"port": 443, "protocol": "TCP"}, {"port": 8443, "protocol": "TCP"}]


def test_no_webhook_egress_without_a_dispatcher(chart: helm.Chart) -> None:
    values = {"events": {"dispatcher": {"enabled": False}}}
    policy = one(render(chart, values), "NetworkPolicy", FULLNAME)["spec"]
    assert not [r for r in policy["egress"] if is_webhook_rule(r)]
    # The identity provider's rule alone remains on 443.
    https = [r for r in policy["egress"] if {"port": 443, "protocol": "TCP"} in r["ports"]]
    assert len(https) == 1
