//! The kube-system workloads a fresh kubeadm cluster already runs when the learner
//! arrives: the control plane's static pods (etcd, kube-apiserver, kube-controller-manager,
//! kube-scheduler, mirrored into the API as `<name>-<node>`), a kube-proxy pod per node
//! (DaemonSet, host network) and two CoreDNS pods (Deployment `coredns`, on the
//! control-plane node, which its tolerations allow; they get the node's first pod IPs
//! `.2` and `.3`), with the `kube-dns` EndpointSlice pointing at them.
//!
//! They are installed as running: names and UIDs are fixed so a seed changes nothing
//! here. podflow's kubelets do not manage them (they are already running when the
//! simulation starts); kube-proxy and CoreDNS use them as the real ones would.

use serde_json::{json, Value};

use super::cluster::{Cluster, INSTALLED_AT};

/// kubeadm v1.33's CoreDNS image.
pub const COREDNS_IMAGE: &str = "registry.k8s.io/coredns/coredns:v1.12.0";
/// The pod-template-hash of kubeadm's CoreDNS Deployment in this cluster.
const COREDNS_HASH: &str = "668d6bf9bc";
const COREDNS_PODS: [&str; 2] = ["coredns-668d6bf9bc-5xqzt", "coredns-668d6bf9bc-h7vwk"];

/// The node the control plane (and CoreDNS) runs on: the first control-plane node, or
/// the first node.
pub fn control_plane_index(cluster: &Cluster) -> usize {
    cluster
        .nodes
        .iter()
        .position(|n| n.control_plane)
        .unwrap_or(0)
}

/// Host octets of pod IPs already taken on node `index` (CoreDNS on the control plane).
pub fn reserved_host_octets(cluster: &Cluster, index: usize) -> Vec<u8> {
    if !cluster.nodes.is_empty() && index == control_plane_index(cluster) {
        vec![2, 3]
    } else {
        Vec::new()
    }
}

fn pod_ip(cluster: &Cluster, index: usize, host: u8) -> String {
    let cidr = cluster.pod_cidr(index);
    let net = cidr.strip_suffix(".0/24").unwrap_or("10.244.0");
    format!("{net}.{host}")
}

fn uid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

fn running_status(ip: &str, host_ip: &str, containers: &[(&str, &str)], qos: &str) -> Value {
    let at = INSTALLED_AT;
    let statuses: Vec<Value> = containers
        .iter()
        .map(|(name, image)| {
            json!({"name": name, "image": image, "imageID": format!("{image}@sha256:{}", "0".repeat(64)),
                   "containerID": format!("containerd://{}", "1".repeat(64)), "ready": true, "restartCount": 0,
                   "started": true, "state": {"running": {"startedAt": at}}, "lastState": {}})
        })
        .collect();
    let condition = |kind: &str| json!({"type": kind, "status": "True", "lastProbeTime": null, "lastTransitionTime": at});
    json!({
        "phase": "Running",
        "conditions": [condition("PodReadyToStartContainers"), condition("Initialized"), condition("Ready"),
                       condition("ContainersReady"), condition("PodScheduled")],
        "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
        "podIP": ip, "podIPs": [{"ip": ip}],
        "startTime": at, "qosClass": qos,
        "containerStatuses": statuses,
    })
}

/// Every object to install: (etcd resource name, object).
pub fn objects(cluster: &Cluster) -> Vec<(&'static str, Value)> {
    if cluster.nodes.is_empty() {
        return Vec::new();
    }
    let at = INSTALLED_AT;
    let cp = control_plane_index(cluster);
    let cp_name = cluster.nodes[cp].name.clone();
    let cp_ip = cluster.internal_ip(cp);
    let version = cluster.version.clone();
    let mut out = Vec::new();
    let mut n = 0x100;
    let mut next_uid = || {
        n += 1;
        uid(n)
    };

    // Static pods of the control plane, mirrored as `<name>-<node>`.
    for (component, image, cpu) in [
        ("etcd", "registry.k8s.io/etcd:3.5.21-0".to_string(), "100m"),
        (
            "kube-apiserver",
            format!("registry.k8s.io/kube-apiserver:{version}"),
            "250m",
        ),
        (
            "kube-controller-manager",
            format!("registry.k8s.io/kube-controller-manager:{version}"),
            "200m",
        ),
        (
            "kube-scheduler",
            format!("registry.k8s.io/kube-scheduler:{version}"),
            "100m",
        ),
    ] {
        let mut requests = json!({"cpu": cpu});
        if component == "etcd" {
            requests["memory"] = json!("100Mi");
        }
        out.push((
            "pods",
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": format!("{component}-{cp_name}"), "namespace": "kube-system",
                                "uid": next_uid(), "creationTimestamp": at,
                                "labels": {"component": component, "tier": "control-plane"},
                                "annotations": {"kubernetes.io/config.source": "file",
                                                "kubernetes.io/config.mirror": "mirror"},
                                "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": cp_name,
                                                     "uid": uid(0x10 + cp as u32), "controller": true}]},
                   "spec": {"nodeName": cp_name, "hostNetwork": true, "priority": 2000001000,
                            "priorityClassName": "system-node-critical", "restartPolicy": "Always",
                            "containers": [{"name": component, "image": image,
                                            "resources": {"requests": requests}}],
                            "tolerations": [{"effect": "NoExecute", "operator": "Exists"}]},
                   "status": running_status(&cp_ip, &cp_ip, &[(component, &image)], "Burstable")}),
        ));
    }

    // kube-proxy: a DaemonSet, one host-network pod per node.
    let proxy_image = format!("registry.k8s.io/kube-proxy:{version}");
    let ds_uid = next_uid();
    out.push((
        "daemonsets",
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
               "metadata": {"name": "kube-proxy", "namespace": "kube-system", "uid": ds_uid,
                            "creationTimestamp": at, "generation": 1, "labels": {"k8s-app": "kube-proxy"}},
               "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
                        "template": {"metadata": {"labels": {"k8s-app": "kube-proxy"}},
                                     "spec": {"hostNetwork": true, "priorityClassName": "system-node-critical",
                                              "containers": [{"name": "kube-proxy", "image": proxy_image,
                                                              "command": ["/usr/local/bin/kube-proxy",
                                                                          "--config=/var/lib/kube-proxy/config.conf",
                                                                          "--hostname-override=$(NODE_NAME)"]}],
                                              "tolerations": [{"operator": "Exists"}]}},
                        "updateStrategy": {"type": "RollingUpdate",
                                           "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
                        "revisionHistoryLimit": 10},
               "status": {"currentNumberScheduled": cluster.nodes.len(), "desiredNumberScheduled": cluster.nodes.len(),
                          "numberAvailable": cluster.nodes.len(), "numberReady": cluster.nodes.len(),
                          "updatedNumberScheduled": cluster.nodes.len(), "numberMisscheduled": 0,
                          "observedGeneration": 1}}),
    ));
    const SUFFIXES: &str = "bcdfghjklmnpqrstvwxz2456789";
    for (i, node) in cluster.nodes.iter().enumerate() {
        let suffix: String = (0..5)
            .map(|k| SUFFIXES.as_bytes()[(i * 7 + k * 11 + 3) % SUFFIXES.len()] as char)
            .collect();
        let host_ip = cluster.internal_ip(i);
        out.push((
            "pods",
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": format!("kube-proxy-{suffix}"), "namespace": "kube-system",
                                "uid": next_uid(), "creationTimestamp": at,
                                "generateName": "kube-proxy-",
                                "labels": {"k8s-app": "kube-proxy", "controller-revision-hash": "6bd8b7d9c8",
                                           "pod-template-generation": "1"},
                                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "kube-proxy",
                                                     "uid": ds_uid, "controller": true, "blockOwnerDeletion": true}]},
                   "spec": {"nodeName": node.name, "hostNetwork": true, "priority": 2000001000,
                            "priorityClassName": "system-node-critical", "restartPolicy": "Always",
                            "containers": [{"name": "kube-proxy", "image": proxy_image}],
                            "tolerations": [{"operator": "Exists"}]},
                   "status": running_status(&host_ip, &host_ip, &[("kube-proxy", &proxy_image)], "BestEffort")}),
        ));
    }

    // CoreDNS: Deployment → ReplicaSet → two pods on the control-plane node.
    let deploy_uid = next_uid();
    let rs_uid = next_uid();
    let labels = json!({"k8s-app": "kube-dns"});
    let template = json!({
        "metadata": {"labels": {"k8s-app": "kube-dns"}},
        "spec": {"priorityClassName": "system-cluster-critical", "serviceAccountName": "coredns",
                 "dnsPolicy": "Default",
                 "containers": [{"name": "coredns", "image": COREDNS_IMAGE, "args": ["-conf", "/etc/coredns/Corefile"],
                                 "ports": [{"containerPort": 53, "name": "dns", "protocol": "UDP"},
                                           {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                                           {"containerPort": 9153, "name": "metrics", "protocol": "TCP"}],
                                 "resources": {"limits": {"memory": "170Mi"},
                                               "requests": {"cpu": "100m", "memory": "70Mi"}}}],
                 "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                 {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]}
    });
    out.push((
        "deployments",
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "coredns", "namespace": "kube-system", "uid": deploy_uid, "creationTimestamp": at,
                            "generation": 1, "labels": labels,
                            "annotations": {"deployment.kubernetes.io/revision": "1"}},
               "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": template,
                        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
                        "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600},
               "status": {"replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2,
                          "observedGeneration": 1,
                          "conditions": [
                              {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                               "message": "Deployment has minimum availability.", "lastUpdateTime": at, "lastTransitionTime": at},
                              {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                               "message": format!("ReplicaSet \"coredns-{COREDNS_HASH}\" has successfully progressed."),
                               "lastUpdateTime": at, "lastTransitionTime": at}]}}),
    ));
    let rs_labels = json!({"k8s-app": "kube-dns", "pod-template-hash": COREDNS_HASH});
    let mut rs_template = template.clone();
    rs_template["metadata"]["labels"] = rs_labels.clone();
    out.push((
        "replicasets",
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
               "metadata": {"name": format!("coredns-{COREDNS_HASH}"), "namespace": "kube-system", "uid": rs_uid,
                            "creationTimestamp": at, "generation": 1, "labels": rs_labels,
                            "annotations": {"deployment.kubernetes.io/desired-replicas": "2",
                                            "deployment.kubernetes.io/max-replicas": "3",
                                            "deployment.kubernetes.io/revision": "1"},
                            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "coredns",
                                                 "uid": deploy_uid, "controller": true, "blockOwnerDeletion": true}]},
               "spec": {"replicas": 2, "selector": {"matchLabels": rs_labels}, "template": rs_template},
               "status": {"replicas": 2, "fullyLabeledReplicas": 2, "readyReplicas": 2, "availableReplicas": 2,
                          "observedGeneration": 1}}),
    ));
    let mut endpoints = Vec::new();
    for (k, name) in COREDNS_PODS.iter().enumerate() {
        let ip = pod_ip(cluster, cp, 2 + k as u8);
        let pod_uid = next_uid();
        let mut spec = rs_template["spec"].clone();
        spec["nodeName"] = json!(cp_name);
        spec["priority"] = json!(2000000000);
        spec["restartPolicy"] = json!("Always");
        spec["schedulerName"] = json!("default-scheduler");
        out.push((
            "pods",
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": name, "namespace": "kube-system", "uid": pod_uid, "creationTimestamp": at,
                                "generateName": format!("coredns-{COREDNS_HASH}-"), "labels": rs_labels,
                                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                                     "name": format!("coredns-{COREDNS_HASH}"), "uid": rs_uid,
                                                     "controller": true, "blockOwnerDeletion": true}]},
                   "spec": spec,
                   "status": running_status(&ip, &cp_ip, &[("coredns", COREDNS_IMAGE)], "Burstable")}),
        ));
        endpoints.push(json!({"addresses": [ip], "conditions": {"ready": true, "serving": true, "terminating": false},
                              "nodeName": cp_name,
                              "targetRef": {"kind": "Pod", "name": name, "namespace": "kube-system", "uid": pod_uid}}));
    }
    out.push((
        "endpointslices",
        json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
               "metadata": {"name": "kube-dns-4b7xq", "namespace": "kube-system", "creationTimestamp": at,
                            "generateName": "kube-dns-",
                            "labels": {"kubernetes.io/service-name": "kube-dns", "k8s-app": "kube-dns",
                                       "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"},
                            "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": "kube-dns",
                                                 "uid": uid(2), "controller": true, "blockOwnerDeletion": true}]},
               "addressType": "IPv4",
               "endpoints": endpoints,
               "ports": [{"name": "dns", "port": 53, "protocol": "UDP"},
                         {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
                         {"name": "metrics", "port": 9153, "protocol": "TCP"}]}),
    ));
    out
}
