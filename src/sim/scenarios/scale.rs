//! Generated workloads for measuring how the simulation grows with pods and nodes
//! (the benchmarks, the budget tests and the browser measurement use the same ones).
//!
//! Kubernetes documents its scalability limits as 5,000 nodes, 150,000 pods and 110 pods
//! per node (https://kubernetes.io/docs/setup/best-practices/cluster-large/); these build
//! clusters and workloads up to those sizes.

use super::super::cluster::{Cluster, NodeSpec};
use super::super::Scenario;

/// Replicas per generated Deployment: large workloads are split into Deployments of
/// this size, as a real cluster's workloads are spread over many controllers.
pub const REPLICAS_PER_DEPLOYMENT: usize = 1_000;

/// The default cluster with `nodes` nodes in all: the control-plane node `cp` and
/// workers `w1` … `w<nodes-1>`, each with the default 2 CPU, 4 GiB and 110 pods.
pub fn cluster(nodes: usize) -> Cluster {
    let mut cluster = Cluster::default();
    let Some(worker) = cluster.nodes.get(1).cloned() else {
        return cluster;
    };
    cluster.nodes.truncate(1);
    for i in 1..nodes.max(2) {
        cluster.nodes.push(NodeSpec {
            name: format!("w{i}"),
            ..worker.clone()
        });
    }
    cluster
}

/// One Deployment of `replicas` nginx pods (no resource requests) named `name`.
pub fn deployment(name: &str, replicas: usize) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
"
    )
}

/// A Deployment of `replicas` pods and a Service selecting them.
pub fn deployment_with_service(replicas: usize) -> String {
    format!(
        "{}---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    protocol: TCP
",
        deployment("web", replicas)
    )
}

/// `kubectl apply` of Deployments totalling `pods` replicas, at most
/// [`REPLICAS_PER_DEPLOYMENT`] each (`web-1`, `web-2`, …).
pub fn deployments(pods: usize) -> Scenario {
    let mut docs = Vec::new();
    let mut left = pods;
    let mut i = 0;
    while left > 0 {
        i += 1;
        let n = left.min(REPLICAS_PER_DEPLOYMENT);
        docs.push(deployment(&format!("web-{i}"), n));
        left -= n;
    }
    let mut scenario = Scenario::default();
    scenario
        .files
        .insert(super::super::MANIFEST_FILE.to_string(), docs.join("---\n"));
    scenario.commands.push((
        0,
        format!("kubectl apply -f {}", super::super::MANIFEST_FILE),
    ));
    scenario
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        let c = cluster(100);
        assert_eq!(c.nodes.len(), 100);
        assert_eq!(c.nodes[99].name, "w99");
        assert!(c.nodes[0].control_plane && !c.nodes[99].control_plane);
        let s = deployments(2_500);
        let text = &s.files[super::super::super::MANIFEST_FILE];
        assert_eq!(text.matches("kind: Deployment").count(), 3);
        assert!(text.contains("replicas: 500\n"));
    }
}
