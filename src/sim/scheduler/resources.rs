//! Resource arithmetic as the scheduler does it: what a pod requests, what a node can
//! allocate, what is already requested on a node.
//!
//! Units follow upstream's `framework.Resource`: CPU in millicores (`MilliValue`), memory,
//! ephemeral storage and extended ("scalar") resources in whole units (`Value`, rounded up).

use crate::sim::object::At;
use std::collections::BTreeMap;

use serde_json::Value;

use crate::sim::quantity::Quantity;

/// schedutil.DefaultMilliCPURequest: the CPU a container without a CPU request is
/// counted with when scoring (pkg/scheduler/util/pod_resources.go).
pub const DEFAULT_MILLI_CPU_REQUEST: i128 = 100;
/// schedutil.DefaultMemoryRequest: 200 MiB, same file.
pub const DEFAULT_MEMORY_REQUEST: i128 = 200 * 1024 * 1024;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i128,
    pub memory: i128,
    pub ephemeral_storage: i128,
    /// Extended resources (`example.com/dongle`), hugepages, … by name.
    pub scalar: BTreeMap<String, i128>,
}

impl Resources {
    fn add_named(&mut self, name: &str, amount: i128) {
        match name {
            "cpu" => self.milli_cpu += amount,
            "memory" => self.memory += amount,
            "ephemeral-storage" => self.ephemeral_storage += amount,
            // A pod cannot request "pods"; a node's pod count is handled separately.
            "pods" => {}
            other => *self.scalar.entry(other.to_string()).or_insert(0) += amount,
        }
    }

    pub fn add(&mut self, other: &Resources) {
        self.milli_cpu += other.milli_cpu;
        self.memory += other.memory;
        self.ephemeral_storage += other.ephemeral_storage;
        for (k, v) in &other.scalar {
            *self.scalar.entry(k.clone()).or_insert(0) += v;
        }
    }

    fn set_max(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        for (k, v) in &other.scalar {
            let e = self.scalar.entry(k.clone()).or_insert(0);
            *e = (*e).max(*v);
        }
    }

    pub fn get(&self, name: &str) -> i128 {
        match name {
            "cpu" => self.milli_cpu,
            "memory" => self.memory,
            "ephemeral-storage" => self.ephemeral_storage,
            other => self.scalar.get(other).copied().unwrap_or(0),
        }
    }

    pub fn is_zero(&self) -> bool {
        self.milli_cpu == 0
            && self.memory == 0
            && self.ephemeral_storage == 0
            && self.scalar.values().all(|v| *v == 0)
    }
}

/// A resource list (`{cpu: 100m, memory: 1Gi}`) in scheduler units. Unparseable
/// quantities count as zero (the apiserver rejects them before a pod gets here).
fn resource_list(list: Option<&Value>) -> Resources {
    let mut r = Resources::default();
    if let Some(map) = list.and_then(Value::as_object) {
        for (name, q) in map {
            if let Ok(q) = Quantity::from_json(q) {
                let amount = if name == "cpu" {
                    q.milli_value()
                } else {
                    q.value()
                };
                r.add_named(name, amount);
            }
        }
    }
    r
}

/// A container's requests. When a resource has a limit but no request, the apiserver's
/// defaulting copies the limit into the request (SetDefaults_Container); this applies it
/// too so that an undefaulted manifest gives the same answer.
fn container_requests(container: &Value, non_zero: bool) -> Resources {
    let requests = container
        .at("/resources/requests")
        .and_then(Value::as_object);
    let limits = container.at("/resources/limits").and_then(Value::as_object);
    let mut merged = requests.cloned().unwrap_or_default();
    for (k, v) in limits.into_iter().flatten() {
        merged.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let mut r = resource_list(Some(&Value::Object(merged.clone())));
    if non_zero {
        // GetNonzeroRequests: only a request that is absent is replaced, an explicit 0 stays 0.
        if !merged.contains_key("cpu") {
            r.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
        }
        if !merged.contains_key("memory") {
            r.memory = DEFAULT_MEMORY_REQUEST;
        }
    }
    r
}

/// The pod's effective request (resourcehelper.PodRequests): the sum of its containers
/// plus restartable (sidecar) init containers, or the largest regular init container
/// (plus the sidecars started before it) if that is bigger, plus `spec.overhead`.
/// With `non_zero`, containers without a CPU/memory request count as 100m/200Mi, as the
/// scoring plugins do.
pub fn pod_requests(pod: &Value, non_zero: bool) -> Resources {
    let mut sum = Resources::default();
    for c in pod
        .at("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        sum.add(&container_requests(c, non_zero));
    }
    let mut sidecars = Resources::default();
    let mut max_init = Resources::default();
    for c in pod
        .at("/spec/initContainers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let req = container_requests(c, non_zero);
        if c.get("restartPolicy").and_then(Value::as_str) == Some("Always") {
            sum.add(&req);
            sidecars.add(&req);
        } else {
            let mut tmp = req;
            tmp.add(&sidecars);
            max_init.set_max(&tmp);
        }
    }
    sum.set_max(&max_init);
    sum.add(&resource_list(crate::sim::object::at(
        pod,
        "/spec/overhead",
    )));
    sum
}

/// `status.allocatable` of a node, plus the number of pods it allows.
pub fn allocatable(node: &Value) -> (Resources, i128) {
    let list = crate::sim::object::at(node, "/status/allocatable");
    let pods = list
        .and_then(|l| l.get("pods"))
        .and_then(|q| Quantity::from_json(q).ok())
        .map(|q| q.value())
        .unwrap_or(0);
    (resource_list(list), pods)
}

/// Pods the scheduler's cache holds for a node: its informer ignores pods in a terminal
/// phase (field selector `status.phase!=Succeeded,status.phase!=Failed`).
pub fn is_terminal(pod: &Value) -> bool {
    matches!(
        crate::sim::object::at(pod, "/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    )
}

/// `spec.priority`, 0 when unset (the Priority admission plugin fills it in).
pub fn priority(pod: &Value) -> i64 {
    crate::sim::object::at(pod, "/spec/priority")
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn init_containers_take_the_max_and_overhead_adds() {
        // The example in upstream's computePodResourceRequest comment: result CPU 3, memory 3G.
        let pod = json!({"spec": {
            "initContainers": [
                {"resources": {"requests": {"cpu": "2", "memory": "1G"}}},
                {"resources": {"requests": {"cpu": "2", "memory": "3G"}}}],
            "containers": [
                {"resources": {"requests": {"cpu": "2", "memory": "1G"}}},
                {"resources": {"requests": {"cpu": "1", "memory": "1G"}}}],
            "overhead": {"cpu": "250m"}}});
        let r = pod_requests(&pod, false);
        assert_eq!(r.milli_cpu, 3250);
        assert_eq!(r.memory, 3_000_000_000);
    }

    #[test]
    fn non_zero_defaults_only_replace_missing_requests() {
        let pod = json!({"spec": {"containers": [
            {"name": "a"},
            {"name": "b", "resources": {"requests": {"cpu": "0"}}}]}});
        let r = pod_requests(&pod, true);
        assert_eq!(r.milli_cpu, 100);
        assert_eq!(r.memory, 2 * DEFAULT_MEMORY_REQUEST);
        assert!(pod_requests(&pod, false).is_zero());
    }

    #[test]
    fn limits_default_requests_and_extended_resources_are_scalar() {
        let pod = json!({"spec": {"containers": [{"resources": {"limits": {"example.com/dongle": 3, "memory": "1Gi"}}}]}});
        let r = pod_requests(&pod, false);
        assert_eq!(r.scalar.get("example.com/dongle"), Some(&3));
        assert_eq!(r.memory, 1 << 30);
    }
}
