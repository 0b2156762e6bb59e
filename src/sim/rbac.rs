//! RBAC authorization as kube-apiserver's RBAC authorizer evaluates it: a request is
//! allowed when any ClusterRoleBinding, or any RoleBinding in the request's namespace,
//! binds one of the user's subjects to a role with a rule that covers the verb, API
//! group, resource (with subresource) and name. There is no deny.
//!
//! kubelets are authorized by the Node authorizer (user `system:node:<name>` in group
//! `system:nodes`), which podflow models as always allowing a kubelet its own work.

use serde_json::Value;

use super::engine::{Identity, Resource, Verb};
use super::etcd::Snapshot;
use super::object;

/// Why a request was allowed, in the words of the apiserver's audit annotation
/// `authorization.k8s.io/reason`.
pub type Reason = String;

pub fn authorize(
    view: &Snapshot,
    who: &Identity,
    verb: Verb,
    resource: &Resource,
    subresource: Option<&str>,
    namespace: &str,
    name: &str,
) -> Result<Reason, String> {
    if who.groups.iter().any(|g| g == "system:nodes") && who.user.starts_with("system:node:") {
        return Ok("allowed by the Node authorizer".to_string());
    }
    if who.groups.iter().any(|g| g == "system:masters") {
        // system:masters bypasses authorization entirely (before RBAC is consulted).
        return Ok("allowed: group system:masters".to_string());
    }
    let resource_name = match subresource {
        Some(sub) => format!("{}/{}", resource.plural, sub),
        None => resource.plural.to_string(),
    };
    let role_binding_prefix = format!("/registry/rolebindings/{namespace}/");
    let mut bindings: Vec<(&str, &Value)> = view
        .range("/registry/clusterrolebindings/")
        .map(|(_, kv)| ("ClusterRoleBinding", kv.value.as_ref()))
        .collect();
    if resource.namespaced && !namespace.is_empty() {
        bindings.extend(
            view.range(&role_binding_prefix)
                .map(|(_, kv)| ("RoleBinding", kv.value.as_ref())),
        );
    }
    for (binding_kind, binding) in bindings {
        let Some(subject) = matching_subject(binding, who, namespace) else {
            continue;
        };
        let role_kind = object::str_at(binding, "/roleRef/kind");
        let role_name = object::str_at(binding, "/roleRef/name");
        let role_key = if role_kind == "ClusterRole" {
            format!("/registry/clusterroles/{role_name}")
        } else {
            format!("/registry/roles/{}/{role_name}", object::namespace(binding))
        };
        let Some(role) = view.get(&role_key) else {
            continue;
        };
        let rules = role.value.get("rules").and_then(Value::as_array);
        if rules
            .into_iter()
            .flatten()
            .any(|rule| covers(rule, verb.rbac(), resource.group, &resource_name, name))
        {
            // pkg/registry/rbac/validation/rule.go: ruleAccumulator's reason.
            let scope = if binding_kind == "RoleBinding" {
                format!(" in namespace \"{}\"", object::namespace(binding))
            } else {
                String::new()
            };
            return Ok(format!(
                "RBAC: allowed by {binding_kind} \"{}\"{scope} of {role_kind} \"{role_name}\" to {subject}",
                object::name(binding)
            ));
        }
    }
    Err(forbidden_message(
        who,
        verb,
        resource,
        subresource,
        namespace,
        name,
    ))
}

fn matching_subject(binding: &Value, who: &Identity, namespace: &str) -> Option<String> {
    for s in binding
        .get("subjects")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let kind = object::str_at(s, "/kind");
        let name = object::str_at(s, "/name");
        match kind {
            "User" if name == who.user => return Some(format!("User \"{name}\"")),
            "Group" if who.groups.iter().any(|g| g == name) => {
                return Some(format!("Group \"{name}\""))
            }
            "ServiceAccount" => {
                let ns = match object::str_at(s, "/namespace") {
                    "" => namespace,
                    ns => ns,
                };
                if who.user == format!("system:serviceaccount:{ns}:{name}") {
                    return Some(format!("ServiceAccount \"{name}/{ns}\""));
                }
            }
            _ => {}
        }
    }
    None
}

fn covers(rule: &Value, verb: &str, group: &str, resource: &str, name: &str) -> bool {
    let has = |field: &str, wanted: &str| {
        rule.get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|v| v == "*" || v == wanted)
    };
    let names_ok = match rule.get("resourceNames").and_then(Value::as_array) {
        Some(names) if !names.is_empty() => names.iter().any(|n| n.as_str() == Some(name)),
        _ => true,
    };
    has("verbs", verb) && has("apiGroups", group) && has("resources", resource) && names_ok
}

/// The Forbidden message (k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go
/// `forbiddenMessage`): `pods is forbidden: User "jane" cannot create resource "pods" in
/// API group "" in the namespace "default"`.
pub fn forbidden_message(
    who: &Identity,
    verb: Verb,
    resource: &Resource,
    subresource: Option<&str>,
    namespace: &str,
    name: &str,
) -> String {
    let mut resource_text = resource.plural.to_string();
    if let Some(sub) = subresource {
        resource_text = format!("{resource_text}/{sub}");
    }
    let subject = if name.is_empty() {
        resource.qualified()
    } else {
        format!("{} \"{name}\"", resource.qualified())
    };
    let scope = if resource.namespaced && !namespace.is_empty() {
        format!("in the namespace \"{namespace}\"")
    } else {
        "at the cluster scope".to_string()
    };
    format!(
        "{subject} is forbidden: User \"{}\" cannot {} resource \"{resource_text}\" in API group \"{}\" {scope}",
        who.user,
        verb.rbac(),
        resource.group
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::cluster::Cluster;
    use crate::sim::engine::resource_named;

    fn pods() -> Resource {
        resource_named("", "pods").unwrap()
    }

    #[test]
    fn the_admin_is_allowed_by_the_kubeadm_binding() {
        let view = Cluster::default().install();
        let admin = Identity {
            user: "kubernetes-admin".into(),
            groups: vec![
                "kubeadm:cluster-admins".into(),
                "system:authenticated".into(),
            ],
            impersonator: None,
        };
        let reason = authorize(&view, &admin, Verb::Create, &pods(), None, "default", "").unwrap();
        assert_eq!(
            reason,
            "RBAC: allowed by ClusterRoleBinding \"kubeadm:cluster-admins\" of ClusterRole \"cluster-admin\" to Group \"kubeadm:cluster-admins\""
        );
    }

    #[test]
    fn a_user_without_bindings_is_forbidden_with_the_real_message() {
        let view = Cluster::default().install();
        let jane = Identity {
            user: "jane".into(),
            groups: vec!["system:authenticated".into()],
            impersonator: None,
        };
        let err = authorize(&view, &jane, Verb::Create, &pods(), None, "default", "").unwrap_err();
        assert_eq!(
            err,
            "pods is forbidden: User \"jane\" cannot create resource \"pods\" in API group \"\" in the namespace \"default\""
        );
        let deployments = resource_named("apps", "deployments").unwrap();
        let err =
            authorize(&view, &jane, Verb::List, &deployments, None, "default", "").unwrap_err();
        assert!(err.starts_with("deployments.apps is forbidden"), "{err}");
        assert!(err.contains("in API group \"apps\""), "{err}");
    }

    #[test]
    fn a_role_binding_grants_within_its_namespace_only() {
        let mut view = Cluster::default().install();
        view.create(
            "/registry/roles/default/pod-creator",
            serde_json::json!({"kind": "Role", "metadata": {"name": "pod-creator", "namespace": "default"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "get"]}]}),
        )
        .unwrap();
        view.create(
            "/registry/rolebindings/default/jane-pods",
            serde_json::json!({"kind": "RoleBinding", "metadata": {"name": "jane-pods", "namespace": "default"},
                "subjects": [{"kind": "User", "name": "jane", "apiGroup": "rbac.authorization.k8s.io"}],
                "roleRef": {"kind": "Role", "name": "pod-creator", "apiGroup": "rbac.authorization.k8s.io"}}),
        )
        .unwrap();
        let jane = Identity {
            user: "jane".into(),
            groups: vec!["system:authenticated".into()],
            impersonator: None,
        };
        assert!(authorize(&view, &jane, Verb::Create, &pods(), None, "default", "").is_ok());
        assert!(authorize(&view, &jane, Verb::Delete, &pods(), None, "default", "x").is_err());
        assert!(authorize(&view, &jane, Verb::Create, &pods(), None, "kube-system", "").is_err());
    }
}
