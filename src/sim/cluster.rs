//! The cluster a simulation runs on, described in YAML so the UI and the CLI can load a
//! different one, and installed into etcd as a fresh kubeadm cluster would have it.
//!
//! The default is the reference cluster of the shared corpus: control-plane node `cp`
//! (tainted `node-role.kubernetes.io/control-plane:NoSchedule`) and workers `w1`, `w2`
//! (2 CPU, 4 GiB, 110 pods), podCIDRs 10.244.{0,1,2}.0/24, service CIDR 10.96.0.0/12.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{etcd, limits};

/// When the cluster was installed: an hour before the simulation's logical time 0.
pub const INSTALLED_AT: &str = "2025-06-02T08:00:00Z";

/// kubeadm's `--pod-network-cidr` as flannel's manifests expect it (reference B.7.3).
pub const DEFAULT_POD_NETWORK: &str = "10.244.0.0/16";

/// How many nodes' /24s [`DEFAULT_POD_NETWORK`] holds. A real RangeAllocator on it gives
/// the 257th node no podCIDR at all (its pods get no network), so nobody runs a larger
/// cluster on it: podflow gives a cluster of more nodes [`LARGE_POD_NETWORK`] instead, as
/// its operator would pass a larger `--pod-network-cidr`.
pub const DEFAULT_POD_NETWORK_NODES: usize = 256;

/// The pod network of a cluster of more than 256 nodes: 32,768 /24s, enough for
/// Kubernetes' documented 5,000 nodes.
pub const LARGE_POD_NETWORK: &str = "10.128.0.0/9";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Cluster {
    /// Kubernetes version the cluster reports (`kubectl get nodes` VERSION).
    #[serde(default = "default_version")]
    pub version: String,
    pub nodes: Vec<NodeSpec>,
    /// Users in the kubeconfig; the first is the one kubectl authenticates as.
    #[serde(default = "default_users")]
    pub users: Vec<User>,
    /// What the registries hold: which images exist, their sizes and pull times, and
    /// what their programs do (see docs/behaviour-model.md).
    #[serde(default)]
    pub images: super::image::ImageTable,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeSpec {
    pub name: String,
    #[serde(default)]
    pub control_plane: bool,
    #[serde(default = "default_cpu")]
    pub cpu: String,
    #[serde(default = "default_memory")]
    pub memory: String,
    #[serde(default = "default_pods")]
    pub pods: u32,
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub taints: Vec<Taint>,
    /// podCIDR written by the node-ipam controller; allocated in order when absent.
    #[serde(default)]
    pub pod_cidr: Option<String>,
    /// The node's InternalIP; allocated in order when absent.
    #[serde(default)]
    pub internal_ip: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taint {
    pub key: String,
    #[serde(default)]
    pub value: String,
    pub effect: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    #[serde(default)]
    pub groups: Vec<String>,
}

fn default_version() -> String {
    "v1.33.1".to_string()
}
fn default_cpu() -> String {
    "2".to_string()
}
fn default_memory() -> String {
    "4Gi".to_string()
}
fn default_pods() -> u32 {
    110
}
fn default_users() -> Vec<User> {
    vec![User {
        // kubeadm ≥ 1.29: the admin kubeconfig's client certificate has
        // CN=kubernetes-admin, O=kubeadm:cluster-admins (reference B.2.1).
        name: "kubernetes-admin".into(),
        groups: vec![
            "kubeadm:cluster-admins".into(),
            "system:authenticated".into(),
        ],
    }]
}

/// The taint kubeadm puts on control-plane nodes.
pub const CONTROL_PLANE_TAINT: &str = "node-role.kubernetes.io/control-plane";

impl Default for Cluster {
    fn default() -> Self {
        let node = |name: &str, control_plane: bool| NodeSpec {
            name: name.into(),
            control_plane,
            cpu: default_cpu(),
            memory: default_memory(),
            pods: default_pods(),
            labels: Default::default(),
            taints: if control_plane {
                vec![Taint {
                    key: CONTROL_PLANE_TAINT.into(),
                    value: String::new(),
                    effect: "NoSchedule".into(),
                }]
            } else {
                vec![]
            },
            pod_cidr: None,
            internal_ip: None,
        };
        Cluster {
            version: default_version(),
            nodes: vec![node("cp", true), node("w1", false), node("w2", false)],
            users: default_users(),
            images: Default::default(),
        }
    }
}

impl Cluster {
    /// Reads a cluster description; errors name the line and column.
    pub fn from_yaml(text: &str) -> Result<Cluster, String> {
        if text.len() > limits::MAX_INPUT_BYTES {
            return Err(format!(
                "the cluster description is larger than {} bytes (limit MAX_INPUT_BYTES)",
                limits::MAX_INPUT_BYTES
            ));
        }
        let cluster: Cluster = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
        cluster.check()?;
        Ok(cluster)
    }

    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(self).unwrap_or_default()
    }

    fn check(&self) -> Result<(), String> {
        if self.nodes.is_empty() {
            return Err("the cluster has no nodes".into());
        }
        if self.nodes.len() > limits::MAX_NODES {
            return Err(format!(
                "the cluster has {} nodes; podflow simulates at most {} (limit MAX_NODES)",
                self.nodes.len(),
                limits::MAX_NODES
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for n in &self.nodes {
            if !names.insert(n.name.as_str()) {
                return Err(format!("node name {:?} appears twice", n.name));
            }
        }
        if self.users.is_empty() {
            return Err("the cluster has no users; kubectl needs one to authenticate as".into());
        }
        Ok(())
    }

    /// The podCIDR of the i-th node: the node-ipam RangeAllocator hands out /24s of the
    /// cluster's pod network in registration order (reference B.7.3).
    pub fn pod_cidr(&self, i: usize) -> String {
        self.nodes[i].pod_cidr.clone().unwrap_or_else(|| {
            if self.nodes.len() <= DEFAULT_POD_NETWORK_NODES {
                format!("10.244.{i}.0/24")
            } else {
                format!("10.{}.{}.0/24", 128 + i / 256, i % 256)
            }
        })
    }

    /// The cluster CIDR (`--cluster-cidr`, kubeadm's `--pod-network-cidr`) the podCIDRs
    /// come from, which kube-proxy also masquerades by.
    pub fn pod_network(&self) -> &'static str {
        if self.nodes.len() <= DEFAULT_POD_NETWORK_NODES {
            DEFAULT_POD_NETWORK
        } else {
            LARGE_POD_NETWORK
        }
    }

    pub fn internal_ip(&self, i: usize) -> String {
        self.nodes[i]
            .internal_ip
            .clone()
            .unwrap_or_else(|| format!("172.18.0.{}", i + 2))
    }

    /// The Node object as kubeadm + kubelet registration leave it.
    pub fn node_object(&self, i: usize) -> Value {
        let n = &self.nodes[i];
        let mut labels = serde_json::Map::new();
        labels.insert("beta.kubernetes.io/arch".into(), json!("amd64"));
        labels.insert("beta.kubernetes.io/os".into(), json!("linux"));
        labels.insert("kubernetes.io/arch".into(), json!("amd64"));
        labels.insert("kubernetes.io/hostname".into(), json!(n.name));
        labels.insert("kubernetes.io/os".into(), json!("linux"));
        if n.control_plane {
            labels.insert("node-role.kubernetes.io/control-plane".into(), json!(""));
            labels.insert(
                "node.kubernetes.io/exclude-from-external-load-balancers".into(),
                json!(""),
            );
        }
        for (k, v) in &n.labels {
            labels.insert(k.clone(), json!(v));
        }
        let taints: Vec<Value> = n
            .taints
            .iter()
            .map(|t| {
                let mut taint = json!({"key": t.key, "effect": t.effect});
                if !t.value.is_empty() {
                    taint["value"] = json!(t.value);
                }
                taint
            })
            .collect();
        let cidr = self.pod_cidr(i);
        let mut spec = json!({"podCIDR": cidr, "podCIDRs": [cidr]});
        if !taints.is_empty() {
            spec["taints"] = Value::Array(taints);
        }
        let resources = json!({
            "cpu": n.cpu, "memory": n.memory, "pods": n.pods.to_string(),
            "ephemeral-storage": "100Gi", "hugepages-1Gi": "0", "hugepages-2Mi": "0"
        });
        json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": n.name,
                "uid": format!("00000000-0000-4000-8000-{:012x}", 0x10 + i),
                "labels": labels,
                "annotations": {
                    "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
                    "node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true"
                },
                "creationTimestamp": INSTALLED_AT,
            },
            "spec": spec,
            "status": {
                "capacity": resources,
                "allocatable": resources,
                "addresses": [
                    {"type": "InternalIP", "address": self.internal_ip(i)},
                    {"type": "Hostname", "address": n.name}
                ],
                "conditions": [
                    {"type": "Ready", "status": "True", "reason": "KubeletReady",
                     "message": "kubelet is posting ready status"}
                ],
                "nodeInfo": {
                    "kubeletVersion": self.version,
                    "containerRuntimeVersion": "containerd://1.7.24",
                    "operatingSystem": "linux",
                    "architecture": "amd64"
                }
            }
        })
    }

    /// The keyspace of the freshly installed cluster: namespaces, nodes and their leases,
    /// default service accounts and root CA config maps, the `kubernetes` Service.
    pub fn install(&self) -> etcd::Snapshot {
        let mut store = etcd::Snapshot::default();
        let created = INSTALLED_AT;
        let put = |store: &mut etcd::Snapshot, resource: &str, obj: Value| {
            let ns = super::object::namespace(&obj).to_string();
            let name = super::object::name(&obj).to_string();
            let key = etcd::key_for(resource, &ns, &name);
            // etcd values are stored without resourceVersion (the storage layer clears
            // it); the apiserver sets it from mod_revision on every read (B.3.2).
            let _ = store.create(&key, obj);
        };
        for ns in ["default", "kube-node-lease", "kube-public", "kube-system"] {
            put(
                &mut store,
                "namespaces",
                json!({"apiVersion": "v1", "kind": "Namespace",
                       "metadata": {"name": ns, "creationTimestamp": created,
                                    "labels": {"kubernetes.io/metadata.name": ns}},
                       "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}),
            );
        }
        for i in 0..self.nodes.len() {
            put(&mut store, "nodes", self.node_object(i));
            put(
                &mut store,
                "leases",
                json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                       "metadata": {"name": self.nodes[i].name, "namespace": "kube-node-lease"},
                       "spec": {"holderIdentity": self.nodes[i].name, "leaseDurationSeconds": 40,
                                "renewTime": created}}),
            );
        }
        for ns in ["default", "kube-node-lease", "kube-public", "kube-system"] {
            put(
                &mut store,
                "serviceaccounts",
                json!({"apiVersion": "v1", "kind": "ServiceAccount",
                       "metadata": {"name": "default", "namespace": ns, "creationTimestamp": created}}),
            );
            put(
                &mut store,
                "configmaps",
                json!({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": "kube-root-ca.crt", "namespace": ns, "creationTimestamp": created},
                       "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\n(the cluster CA)\n-----END CERTIFICATE-----\n"}}),
            );
        }
        put(
            &mut store,
            "services",
            json!({"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "kubernetes", "namespace": "default", "creationTimestamp": created,
                                "uid": "00000000-0000-4000-8000-000000000001",
                                "labels": {"component": "apiserver", "provider": "kubernetes"}},
                   "spec": {"clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"], "type": "ClusterIP",
                            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
                            "sessionAffinity": "None"}}),
        );
        put(
            &mut store,
            "services",
            json!({"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "kube-dns", "namespace": "kube-system", "creationTimestamp": created,
                                "uid": "00000000-0000-4000-8000-000000000002",
                                "labels": {"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"}},
                   "spec": {"clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"], "type": "ClusterIP",
                            "selector": {"k8s-app": "kube-dns"},
                            "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                                      {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                                      {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}],
                            "sessionAffinity": "None"}}),
        );
        // The `kubernetes` Service's EndpointSlice is written by the apiserver itself
        // (reconcilers of the master endpoints): named `kubernetes`, without the
        // managed-by label, listing the control plane's address and port 6443.
        let apiserver_ip = (0..self.nodes.len())
            .find(|i| self.nodes[*i].control_plane)
            .or(if self.nodes.is_empty() { None } else { Some(0) })
            .map(|i| self.internal_ip(i))
            .unwrap_or_else(|| "172.18.0.2".to_string());
        put(
            &mut store,
            "endpointslices",
            json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                   "metadata": {"name": "kubernetes", "namespace": "default", "creationTimestamp": created,
                                "labels": {"kubernetes.io/service-name": "kubernetes"}},
                   "addressType": "IPv4",
                   "endpoints": [{"addresses": [apiserver_ip], "conditions": {"ready": true}}],
                   "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}),
        );
        for (kind, obj) in default_rbac() {
            put(&mut store, kind, obj);
        }
        for (kind, obj) in super::system_pods::objects(self) {
            put(&mut store, kind, obj);
        }
        store
    }
}

/// The RBAC objects kubeadm and the apiserver's bootstrap policy create that podflow's
/// requests meet: `cluster-admin` bound to the admin kubeconfig's group, and the roles of
/// the scheduler and the controller manager (plugin/pkg/auth/authorizer/rbac/bootstrappolicy).
fn default_rbac() -> Vec<(&'static str, Value)> {
    let created = INSTALLED_AT;
    let role = |name: &str, rules: Value| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": name, "creationTimestamp": created,
                            "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
               "rules": rules})
    };
    let binding = |name: &str, role: &str, subject: Value| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": name, "creationTimestamp": created},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
               "subjects": [subject]})
    };
    let user =
        |name: &str| json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name});
    let mut objects = vec![
        (
            "clusterroles",
            role(
                "cluster-admin",
                json!([
            {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
            {"nonResourceURLs": ["*"], "verbs": ["*"]}]),
            ),
        ),
        (
            "clusterrolebindings",
            binding(
                "kubeadm:cluster-admins",
                "cluster-admin",
                json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "kubeadm:cluster-admins"}),
            ),
        ),
        (
            "clusterroles",
            role(
                "system:kube-scheduler",
                json!([
            {"apiGroups": ["", "events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch", "update"]},
            {"apiGroups": [""], "resources": ["pods/binding", "bindings"], "verbs": ["create"]},
            {"apiGroups": [""], "resources": ["pods/status"], "verbs": ["patch", "update"]},
            {"apiGroups": [""], "resources": ["pods", "nodes", "namespaces", "services", "persistentvolumeclaims"],
             "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create", "get", "update"]}]),
            ),
        ),
        (
            "clusterrolebindings",
            binding(
                "system:kube-scheduler",
                "system:kube-scheduler",
                user("system:kube-scheduler"),
            ),
        ),
        (
            "clusterroles",
            role(
                "system:kube-controller-manager",
                json!([
            {"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["", "apps", "batch", "discovery.k8s.io", "events.k8s.io"],
             "resources": ["pods", "replicasets", "replicasets/status", "deployments/status", "jobs/status",
                           "daemonsets/status", "endpointslices", "events"],
             "verbs": ["create", "update", "patch", "delete"]}]),
            ),
        ),
        (
            "clusterrolebindings",
            binding(
                "system:kube-controller-manager",
                "system:kube-controller-manager",
                user("system:kube-controller-manager"),
            ),
        ),
        // kubeadm runs kube-controller-manager with --use-service-account-credentials: each
        // controller acts as its own ServiceAccount, bound to system:controller:<name>.
        (
            "clusterroles",
            role(
                "system:controller:service-account-controller",
                json!([
            {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["create"]},
            {"apiGroups": ["", "events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch", "update"]}]),
            ),
        ),
        (
            "clusterrolebindings",
            binding(
                "system:controller:service-account-controller",
                "system:controller:service-account-controller",
                json!({"kind": "ServiceAccount", "name": "service-account-controller", "namespace": "kube-system"}),
            ),
        ),
        (
            "clusterroles",
            role(
                "system:controller:root-ca-cert-publisher",
                json!([
            {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create", "update"]},
            {"apiGroups": ["", "events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch", "update"]}]),
            ),
        ),
        (
            "clusterrolebindings",
            binding(
                "system:controller:root-ca-cert-publisher",
                "system:controller:root-ca-cert-publisher",
                json!({"kind": "ServiceAccount", "name": "root-ca-cert-publisher", "namespace": "kube-system"}),
            ),
        ),
    ];
    // The workload controllers' roles (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/
    // controller_policy.go), each bound to the controller's ServiceAccount.
    let events = json!({"apiGroups": ["", "events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch", "update"]});
    let controllers = [
        (
            "deployment-controller",
            json!([
            {"apiGroups": ["apps", "extensions"], "resources": ["deployments"], "verbs": ["get", "list", "update", "watch"]},
            {"apiGroups": ["apps", "extensions"], "resources": ["deployments/status"], "verbs": ["update"]},
            {"apiGroups": ["apps", "extensions"], "resources": ["deployments/finalizers"], "verbs": ["update"]},
            {"apiGroups": ["apps", "extensions"], "resources": ["replicasets"], "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]},
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "update", "watch"]},
            events.clone()]),
        ),
        (
            "replicaset-controller",
            json!([
            {"apiGroups": ["apps", "extensions"], "resources": ["replicasets"], "verbs": ["get", "list", "update", "watch"]},
            {"apiGroups": ["apps", "extensions"], "resources": ["replicasets/status"], "verbs": ["update"]},
            {"apiGroups": ["apps", "extensions"], "resources": ["replicasets/finalizers"], "verbs": ["update"]},
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "delete", "list", "patch", "watch"]},
            events.clone()]),
        ),
        (
            "job-controller",
            json!([
            {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "patch", "update", "watch"]},
            {"apiGroups": ["batch"], "resources": ["jobs/status"], "verbs": ["update"]},
            {"apiGroups": ["batch"], "resources": ["jobs/finalizers"], "verbs": ["update"]},
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "delete", "list", "patch", "watch"]},
            events.clone()]),
        ),
        (
            "daemon-set-controller",
            json!([
            {"apiGroups": ["apps", "extensions"], "resources": ["daemonsets"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["apps", "extensions"], "resources": ["daemonsets/status"], "verbs": ["update"]},
            {"apiGroups": ["apps", "extensions"], "resources": ["daemonsets/finalizers"], "verbs": ["update"]},
            {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "watch"]},
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "delete", "list", "patch", "watch"]},
            {"apiGroups": [""], "resources": ["pods/binding"], "verbs": ["create"]},
            {"apiGroups": ["apps"], "resources": ["controllerrevisions"], "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]},
            events.clone()]),
        ),
        (
            "endpointslice-controller",
            json!([
            {"apiGroups": [""], "resources": ["services", "pods", "nodes"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": [""], "resources": ["services/finalizers"], "verbs": ["update"]},
            {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["create", "delete", "get", "list", "update"]},
            events.clone()]),
        ),
        (
            "generic-garbage-collector",
            json!([
            {"apiGroups": ["*"], "resources": ["*"], "verbs": ["delete", "get", "list", "patch", "update", "watch"]}]),
        ),
    ];
    for (controller, rules) in controllers {
        let name = format!("system:controller:{controller}");
        objects.push(("clusterroles", role(&name, rules)));
        objects.push((
            "clusterrolebindings",
            binding(
                &name,
                &name,
                json!({"kind": "ServiceAccount", "name": controller, "namespace": "kube-system"}),
            ),
        ));
    }
    objects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_cluster_is_the_reference_cluster() {
        let c = Cluster::default();
        let names: Vec<_> = c.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["cp", "w1", "w2"]);
        assert_eq!(c.pod_cidr(0), "10.244.0.0/24");
        assert_eq!(c.pod_cidr(2), "10.244.2.0/24");
        assert_eq!(c.pod_network(), "10.244.0.0/16");
        // Past 256 nodes the /16 is full: a larger pod network, no CIDR twice.
        let big = crate::sim::scenarios::scale::cluster(5_000);
        assert_eq!(big.pod_network(), "10.128.0.0/9");
        assert_eq!(big.pod_cidr(0), "10.128.0.0/24");
        assert_eq!(big.pod_cidr(4_999), "10.147.135.0/24");
        let cidrs: std::collections::BTreeSet<String> =
            (0..5_000).map(|i| big.pod_cidr(i)).collect();
        assert_eq!(cidrs.len(), 5_000);
        let cp = c.node_object(0);
        assert_eq!(cp["spec"]["taints"][0]["key"], CONTROL_PLANE_TAINT);
        assert_eq!(cp["spec"]["taints"][0]["effect"], "NoSchedule");
        assert_eq!(c.node_object(1)["status"]["allocatable"]["pods"], "110");
    }

    #[test]
    fn installs_the_kubeadm_keyspace() {
        let s = Cluster::default().install();
        for key in [
            "/registry/namespaces/default",
            "/registry/minions/w1",
            "/registry/leases/kube-node-lease/w2",
            "/registry/serviceaccounts/default/default",
            "/registry/configmaps/kube-system/kube-root-ca.crt",
            "/registry/services/specs/default/kubernetes",
        ] {
            assert!(s.get(key).is_some(), "{key} missing");
        }
        let kv = s.get("/registry/minions/w1").unwrap();
        assert_eq!(
            kv.value["metadata"]["resourceVersion"],
            kv.mod_revision.to_string(),
            "stored values carry their mod_revision as resourceVersion"
        );
        assert!(
            crate::sim::etcd::stored_form(&kv.value)["metadata"]
                .get("resourceVersion")
                .is_none(),
            "etcd is shown storing values without resourceVersion"
        );
        assert!(s
            .get("/registry/clusterrolebindings/kubeadm:cluster-admins")
            .is_some());
    }

    #[test]
    fn yaml_round_trip_and_errors() {
        let c = Cluster::default();
        assert_eq!(Cluster::from_yaml(&c.to_yaml()).unwrap(), c);
        let err = Cluster::from_yaml("nodes:\n- name: a\n  cpus: 2\n").unwrap_err();
        assert!(err.contains("unknown field `cpus`"), "{err}");
        assert!(Cluster::from_yaml("nodes: []\n")
            .unwrap_err()
            .contains("no nodes"));
    }
}
