//! kube-controller-manager: watch-driven controllers, each acting through the apiserver.
//!
//! So far: the ServiceAccount controller and the root-ca-cert-publisher, which give every
//! new namespace its `default` ServiceAccount and its `kube-root-ca.crt` ConfigMap (without
//! them, ServiceAccount admission refuses pods in that namespace).

use serde_json::{json, Value};

use super::clock;
use super::engine::{resource_named, Ctx, Identity, Msg, Request, Verb};
use super::etcd::EventType;
use super::object;
use super::trace::Component;

#[derive(Default)]
pub struct ControllerManager;

/// The ServiceAccount a controller acts as (kubeadm's `--use-service-account-credentials`).
fn identity(controller: &str) -> Identity {
    Identity {
        user: format!("system:serviceaccount:kube-system:{controller}"),
        groups: vec![
            "system:serviceaccounts".into(),
            "system:serviceaccounts:kube-system".into(),
            "system:authenticated".into(),
        ],
        impersonator: None,
    }
}

impl ControllerManager {
    pub fn handle(&mut self, ctx: &mut Ctx<'_>, msg: Msg) {
        let Msg::Watch(event) = msg else { return };
        if event.resource.plural == "namespaces" && event.kind == EventType::Added {
            let ns = object::name(&event.object).to_string();
            self.create(
                ctx,
                "service-account-controller",
                "serviceaccounts",
                &ns,
                json!({"apiVersion": "v1", "kind": "ServiceAccount",
                       "metadata": {"name": "default", "namespace": ns}}),
            );
            self.create(
                ctx,
                "root-ca-cert-publisher",
                "configmaps",
                &ns,
                json!({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": "kube-root-ca.crt", "namespace": ns,
                                    "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}},
                       "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\n(the cluster CA)\n-----END CERTIFICATE-----\n"}}),
            );
            let _ = clock::rfc3339(ctx.now);
        }
    }

    fn create(
        &mut self,
        ctx: &mut Ctx<'_>,
        controller: &str,
        plural: &str,
        namespace: &str,
        body: Value,
    ) {
        let Some(resource) = resource_named("", plural) else {
            return;
        };
        let id = ctx.id();
        ctx.send(
            Component::ApiServer,
            1,
            Msg::Request(Request {
                id,
                verb: Verb::Create,
                resource,
                namespace: namespace.to_string(),
                name: String::new(),
                subresource: None,
                query: vec![],
                body: Some(body),
                identity: identity(controller),
                detailed: false,
            }),
        );
    }
}
