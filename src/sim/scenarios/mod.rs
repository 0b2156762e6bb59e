//! Teaching presets, shared by the app's gallery and the golden-trace tests.
//!
//! Each preset is a manifest (applied as `pod.yaml`) plus the kubectl commands a learner
//! would type, at the times they type them.

pub mod scale;

use super::Scenario;

/// What `kubectl run nginx --image=nginx --dry-run=client -o yaml` prints with a current
/// kubectl (reference B.1.1; `creationTimestamp: null` is omitted by newer clients).
pub const NGINX: &str = include_str!("nginx.yaml");

/// The Deployment of the website's controllers/nginx-deployment.yaml (corpus row 26).
pub const DEPLOYMENT: &str = include_str!("deployment.yaml");

/// One teaching preset.
#[derive(Clone, Copy, Debug)]
pub struct Preset {
    /// Stable identifier (golden file name, `#scenario=` links).
    pub id: &'static str,
    pub title: &'static str,
    /// The one-line lesson.
    pub lesson: &'static str,
    pub manifest: &'static str,
    /// kubectl commands after `kubectl apply -f pod.yaml` at 0 s: (time in ms, line).
    pub then: &'static [(u64, &'static str)],
    /// `--as` user for the apply, when the lesson is about RBAC.
    pub as_user: Option<&'static str>,
    /// Other files the `then` commands read (name, content).
    pub files: &'static [(&'static str, &'static str)],
}

impl Preset {
    pub fn scenario(&self) -> Scenario {
        let mut s = Scenario::default();
        s.files
            .insert(super::MANIFEST_FILE.to_string(), self.manifest.to_string());
        let apply = match self.as_user {
            Some(user) => format!("kubectl apply -f {} --as={user}", super::MANIFEST_FILE),
            None => format!("kubectl apply -f {}", super::MANIFEST_FILE),
        };
        for (name, text) in self.files {
            s.files.insert(name.to_string(), text.to_string());
        }
        s.commands.push((0, apply));
        for (at, line) in self.then {
            s.commands.push((*at, line.to_string()));
        }
        s
    }
}

pub const PRESETS: &[Preset] = &[
    Preset {
        id: "nginx",
        title: "A plain nginx pod",
        lesson: "kubectl → apiserver → etcd → scheduler → kubelet → containerd and CNI → Running.",
        manifest: NGINX,
        then: &[],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "unschedulable",
        title: "Asking for more CPU than any node has",
        lesson: "The scheduler filters out every node and says why in a FailedScheduling event.",
        manifest: include_str!("unschedulable.yaml"),
        then: &[],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "taint",
        title: "Only the control plane matches, and it is tainted",
        lesson: "A taint keeps pods off a node unless they tolerate it.",
        manifest: include_str!("taint.yaml"),
        then: &[],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "node-selector",
        title: "A nodeSelector no node matches",
        lesson: "nodeSelector is a hard requirement: without a node labelled disktype=ssd the pod waits.",
        manifest: include_str!("node-selector.yaml"),
        then: &[],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "image-not-found",
        title: "An image tag that does not exist",
        lesson: "ErrImagePull, then ImagePullBackOff: the kubelet retries on a doubling back-off.",
        manifest: include_str!("image-not-found.yaml"),
        then: &[],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "crashloop",
        title: "A container that keeps crashing",
        lesson: "restartPolicy Always restarts it, waiting 10 s, 20 s, 40 s…: CrashLoopBackOff.",
        manifest: include_str!("crashloop.yaml"),
        then: &[],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "liveness",
        title: "A failing liveness probe",
        lesson: "After three failed probes the kubelet kills the container and starts it again.",
        manifest: include_str!("liveness.yaml"),
        then: &[],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "readiness",
        title: "Readiness gates the pod",
        lesson: "Running is not Ready: until the readiness probe passes the pod shows 0/1.",
        manifest: include_str!("readiness.yaml"),
        then: &[],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "missing-configmap",
        title: "A ConfigMap that is not there",
        lesson: "The container cannot be created without its environment: CreateContainerConfigError.",
        manifest: include_str!("missing-configmap.yaml"),
        then: &[],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "init-containers",
        title: "An init container runs first",
        lesson: "Init containers run one at a time, to completion, before the app containers start.",
        manifest: include_str!("init-containers.yaml"),
        then: &[],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "validation-error",
        title: "A pod without an image",
        lesson: "The apiserver's validation rejects the object (422) and nothing reaches etcd.",
        manifest: include_str!("validation-error.yaml"),
        then: &[],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "unknown-field",
        title: "A misspelt field",
        lesson: "Strict field validation turns a typo into a 400 instead of silently dropping it.",
        manifest: include_str!("unknown-field.yaml"),
        then: &[],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "already-exists",
        title: "Creating the same pod twice",
        lesson: "etcd's create transaction fails when the key exists: 409 AlreadyExists.",
        manifest: NGINX,
        then: &[(5_000, "kubectl create -f pod.yaml")],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "rbac-forbidden",
        title: "A user without rights",
        lesson: "RBAC finds no binding that lets jane create pods: 403 Forbidden, before anything else runs.",
        manifest: NGINX,
        then: &[],
        as_user: Some("jane"),
        files: &[],
    },
    Preset {
        id: "delete",
        title: "Deleting a running pod",
        lesson: "Graceful termination: deletionTimestamp, SIGTERM, the grace period, then the key leaves etcd.",
        manifest: NGINX,
        then: &[(10_000, "kubectl delete pod nginx")],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "deployment",
        title: "A Deployment with three replicas",
        lesson: "The Deployment controller creates a ReplicaSet, the ReplicaSet controller creates the pods, 1 then 2 at a time.",
        manifest: DEPLOYMENT,
        then: &[],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "deployment-service",
        title: "A Deployment and its Service in one file",
        lesson: "The Service gets a ClusterIP, the EndpointSlice controller lists the ready pods, kube-proxy writes the rules on every node.",
        manifest: include_str!("deployment-service.yaml"),
        then: &[(20_000, "kubectl get svc,endpointslices")],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "scale-down",
        title: "Scaling a Deployment down",
        lesson: "kubectl scale changes spec.replicas; the ReplicaSet controller deletes the extra pods, gracefully.",
        manifest: DEPLOYMENT,
        then: &[(20_000, "kubectl scale deployment nginx-deployment --replicas=1")],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "rolling-update",
        title: "A rolling update",
        lesson: "A new image makes a new ReplicaSet: it is scaled up and the old one down, within maxSurge and maxUnavailable.",
        manifest: DEPLOYMENT,
        then: &[
            (20_000, "kubectl apply -f deployment-v2.yaml"),
            (20_500, "kubectl rollout status deployment/nginx-deployment"),
        ],
        as_user: None,
        files: &[("deployment-v2.yaml", include_str!("deployment-v2.yaml"))],
    },
    Preset {
        id: "job",
        title: "A Job that completes",
        lesson: "The Job controller runs a pod to completion, then marks the Job Complete.",
        manifest: include_str!("job.yaml"),
        then: &[],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "job-backoff",
        title: "A Job that keeps failing",
        lesson: "Each failed pod is replaced after a doubling back-off until backoffLimit is exceeded: BackoffLimitExceeded.",
        manifest: include_str!("job-backoff.yaml"),
        then: &[],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "daemonset",
        title: "A DaemonSet",
        lesson: "One pod per node that accepts it: the control plane's taint keeps it off cp.",
        manifest: include_str!("daemonset.yaml"),
        then: &[],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "delete-deployment",
        title: "Deleting a Deployment",
        lesson: "The garbage collector deletes what the Deployment owned: its ReplicaSet, then the pods.",
        manifest: DEPLOYMENT,
        then: &[(20_000, "kubectl delete deployment nginx-deployment")],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "nodeport",
        title: "A NodePort Service",
        lesson: "A NodePort from 30000-32767 opens the Service on every node's IP: kube-proxy adds KUBE-NODEPORTS rules.",
        manifest: include_str!("nodeport.yaml"),
        then: &[(20_000, "kubectl get svc my-nginx")],
        as_user: None,
        files: &[],
    },
    Preset {
        id: "dns",
        title: "Looking a Service up in DNS",
        lesson: "A pod's resolver asks CoreDNS, which answers my-nginx.default.svc.cluster.local with the ClusterIP.",
        manifest: include_str!("deployment-service.yaml"),
        then: &[
            (1_000, "kubectl run box --image=busybox:1.36 -- sleep 3600"),
            (20_000, "kubectl exec box -- nslookup my-nginx"),
        ],
        as_user: None,
        files: &[],
    },
];

/// The preset with this id.
pub fn preset(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}
