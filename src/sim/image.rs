//! Image references and the image table: which images "exist", how big they are, how long
//! a pull takes, and what an image runs when the pod does not say.
//!
//! Parsing follows `github.com/distribution/reference` (`ParseNormalizedNamed`, the
//! grammar in reference.go/regexp.go) as the kubelet uses it through
//! `pkg/util/parsers.ParseImageName` (v1.28+, kubernetes PR #116231): `nginx` is
//! `docker.io/library/nginx:latest`, `host:5000/img:tag` keeps its registry, digests are
//! `@sha256:<64 hex>`. A reference that does not parse gives the kubelet's `InspectFailed`
//! event and the waiting reason `InvalidImageName` (reference B.6.5).
//!
//! The table ([`ImageTable`]) is part of the editable cluster description, so it is plain
//! serde data. The rule for "does this image exist" is deliberately simple:
//! - a repository listed in the table with `exists: false` never pulls;
//! - a listed repository with a non-empty `tags` list knows exactly its tags; any other
//!   tag does not exist (`nginx:doesnotexist` → containerd's `NotFound`), unless
//!   `any_tag: true`;
//! - a repository that is not listed exists (with the table's default size and pull time),
//!   as most public images a learner types do.
//!
//! Digests of images we do not know for certain are synthetic: a deterministic function
//! of the normalized name, so the same name always gets the same `Image ID`.
//!
//! Invariants: no panics on any input string; every loop is bounded by the input length.

use serde::{Deserialize, Serialize};

use super::rand::Rng;

/// Docker Hub's canonical domain (distribution/reference normalize.go `defaultDomain`).
pub const DEFAULT_DOMAIN: &str = "docker.io";
/// The legacy Docker Hub domain, canonicalized to [`DEFAULT_DOMAIN`].
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
/// Namespace of Docker Hub's official images (normalize.go `officialRepoPrefix`).
const OFFICIAL_REPO_PREFIX: &str = "library/";
/// Tag the kubelet applies when an image has neither tag nor digest (parsers.go).
pub const DEFAULT_TAG: &str = "latest";
/// reference.go `RepositoryNameTotalLengthMax`.
const REPOSITORY_NAME_TOTAL_LENGTH_MAX: usize = 255;
/// The sandbox ("pause") image the runtime starts for every pod (containerd 2.x default
/// `sandbox_image`; 1.7-era configs had `pause:3.9`, reference B.7.1).
pub const SANDBOX_IMAGE: &str = "registry.k8s.io/pause:3.10";

// Errors of distribution/reference (reference.go) and go-digest (digest.go), verbatim.
const ERR_REFERENCE_INVALID_FORMAT: &str = "invalid reference format";
const ERR_NAME_CONTAINS_UPPERCASE: &str = "repository name must be lowercase";
const ERR_NAME_TOO_LONG: &str = "repository name must not be more than 255 characters";
const ERR_DIGEST_INVALID_FORMAT: &str = "invalid checksum digest format";
const ERR_DIGEST_INVALID_LENGTH: &str = "invalid checksum digest length";
const ERR_DIGEST_UNSUPPORTED: &str = "unsupported digest algorithm";

/// A parsed image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// What the pod spec says (`nginx`), used verbatim in the kubelet's event messages.
    pub original: String,
    /// Registry host (and port): `docker.io`, `registry.k8s.io`, `host:5000`. Empty only
    /// for the odd names distribution/reference reads as a path without a domain.
    pub domain: String,
    /// Path within the registry: `library/nginx`, `busybox`, `google-samples/gb-frontend`.
    pub path: String,
    /// The tag as written, if any (no default applied).
    pub tag: Option<String>,
    /// `sha256:<hex>` as written, if any.
    pub digest: Option<String>,
}

impl ImageRef {
    /// The repository: `docker.io/library/nginx` (distribution's `Name()`).
    pub fn repository(&self) -> String {
        if self.domain.is_empty() {
            self.path.clone()
        } else {
            format!("{}/{}", self.domain, self.path)
        }
    }

    /// The tag, or `latest` when neither tag nor digest is given (parsers.ParseImageName).
    pub fn effective_tag(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(tag), _) => Some(tag),
            (None, None) => Some(DEFAULT_TAG),
            (None, Some(_)) => None,
        }
    }

    /// The fully qualified name containerd pulls and prints in its errors
    /// (`docker.io/library/nginx:doesnotexist`). Like `ParseDockerRef`, a reference with
    /// both a tag and a digest keeps only the digest.
    pub fn normalized(&self) -> String {
        match (&self.digest, self.effective_tag()) {
            (Some(digest), _) => format!("{}@{}", self.repository(), digest),
            (None, Some(tag)) => format!("{}:{}", self.repository(), tag),
            (None, None) => self.repository(),
        }
    }

    /// The image the kubelet asks the runtime for: the written name plus `:latest` when it
    /// has neither tag nor digest (image_manager.go `applyDefaultImageTag`, which
    /// deliberately does not qualify short names).
    pub fn with_default_tag(&self) -> String {
        if self.tag.is_none() && self.digest.is_none() {
            format!("{}:{}", self.original, DEFAULT_TAG)
        } else {
            self.original.clone()
        }
    }
}

/// The kubelet could not parse `spec.containers[*].image`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidImageName {
    /// The image as written.
    pub image: String,
    /// distribution/reference's error (`invalid reference format`).
    pub error: String,
}

impl InvalidImageName {
    /// The container's waiting reason (kubelet images/types.go `ErrInvalidImageName`).
    pub const REASON: &'static str = "InvalidImageName";
    /// The event reason (kubelet events.FailedToInspectImage).
    pub const EVENT_REASON: &'static str = "InspectFailed";

    /// The `Warning InspectFailed` event message, which is also the waiting message:
    /// `Failed to apply default image tag "<image>": couldn't parse image name "<image>": invalid reference format`.
    ///
    /// v1.28+ wording (parsers.ParseImageName, PR #116231). Older kubelets said
    /// `couldn't parse image reference` (the form reference B.6.5 quotes); real v1.3x
    /// captures show `couldn't parse image name`.
    pub fn message(&self) -> String {
        format!(
            "Failed to apply default image tag {}: couldn't parse image name {}: {}",
            go_quote(&self.image),
            go_quote(&self.image),
            self.error
        )
    }
}

/// Parses an image reference as the kubelet does (`dockerref.ParseNormalizedNamed`).
pub fn parse_image_reference(image: &str) -> Result<ImageRef, InvalidImageName> {
    let fail = |error: &str| InvalidImageName {
        image: image.to_string(),
        error: error.to_string(),
    };
    // normalize.go: a bare 64-hex string is an image ID, not a name.
    if image.len() == 64
        && image
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(fail(&format!(
            "invalid repository name ({image}), cannot specify 64-byte hexadecimal strings"
        )));
    }
    let (domain, remainder) = split_docker_domain(image);
    let remote = match remainder.find(':') {
        Some(i) => &remainder[..i],
        None => remainder.as_str(),
    };
    if remote.to_lowercase() != remote {
        return Err(fail(&format!(
            "{ERR_REFERENCE_INVALID_FORMAT}: repository name ({remote}) must be lowercase"
        )));
    }
    let full = format!("{domain}/{remainder}");
    match parse_reference(&full) {
        Ok(mut parsed) => {
            parsed.original = image.to_string();
            Ok(parsed)
        }
        Err(error) => {
            // reference.go Parse: "succeeds when lower-casing" → the uppercase message.
            let lower = full.to_lowercase();
            if error == ERR_REFERENCE_INVALID_FORMAT
                && lower != full
                && parse_reference(&lower).is_ok()
            {
                return Err(fail(ERR_NAME_CONTAINS_UPPERCASE));
            }
            Err(fail(error))
        }
    }
}

/// normalize.go `splitDockerDomain`.
fn split_docker_domain(name: &str) -> (String, String) {
    let (domain, mut remote) = match name.split_once('/') {
        None => {
            return (
                DEFAULT_DOMAIN.to_string(),
                format!("{OFFICIAL_REPO_PREFIX}{name}"),
            )
        }
        Some((maybe_domain, maybe_remote)) => {
            if maybe_domain == "localhost" {
                (maybe_domain.to_string(), maybe_remote.to_string())
            } else if maybe_domain == LEGACY_DEFAULT_DOMAIN {
                (DEFAULT_DOMAIN.to_string(), maybe_remote.to_string())
            } else if maybe_domain.contains(['.', ':'])
                || maybe_domain.to_lowercase() != maybe_domain
            {
                (maybe_domain.to_string(), maybe_remote.to_string())
            } else {
                (DEFAULT_DOMAIN.to_string(), name.to_string())
            }
        }
    };
    if domain == DEFAULT_DOMAIN && !remote.contains('/') {
        remote = format!("{OFFICIAL_REPO_PREFIX}{remote}");
    }
    (domain, remote)
}

/// reference.go `Parse` on `domain/remainder`: `name [":" tag] ["@" digest]`.
fn parse_reference(s: &str) -> Result<ImageRef, &'static str> {
    if s.is_empty() {
        return Err(ERR_REFERENCE_INVALID_FORMAT);
    }
    let (rest, digest) = match s.split_once('@') {
        Some((rest, digest)) => {
            if !is_digest_pattern(digest) {
                return Err(ERR_REFERENCE_INVALID_FORMAT);
            }
            (rest, Some(digest))
        }
        None => (s, None),
    };
    // The tag separator is a ':' after the last '/'; earlier colons belong to a port.
    let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (name, tag) = match rest[last_slash..].find(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(tag) = tag {
        if !is_tag(tag) {
            return Err(ERR_REFERENCE_INVALID_FORMAT);
        }
    }
    // anchoredNameRegexp: an optional `domain/` then path components.
    let (domain, path) = match name.split_once('/') {
        Some((first, rest_path)) if is_domain_and_port(first) && is_remote_name(rest_path) => {
            (first, rest_path)
        }
        _ if is_remote_name(name) => ("", name),
        _ => return Err(ERR_REFERENCE_INVALID_FORMAT),
    };
    if path.len() > REPOSITORY_NAME_TOTAL_LENGTH_MAX {
        return Err(ERR_NAME_TOO_LONG);
    }
    if let Some(digest) = digest {
        validate_digest(digest)?;
    }
    Ok(ImageRef {
        original: s.to_string(),
        domain: domain.to_string(),
        path: path.to_string(),
        tag: tag.map(str::to_string),
        digest: digest.map(str::to_string),
    })
}

/// pathComponent: `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn is_path_component(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut expect_alnum = true;
    while i < bytes.len() {
        let start = i;
        if expect_alnum {
            while i < bytes.len() && (bytes[i].is_ascii_lowercase() || bytes[i].is_ascii_digit()) {
                i += 1;
            }
            if i == start {
                return false;
            }
        } else {
            while i < bytes.len() && matches!(bytes[i], b'.' | b'_' | b'-') {
                i += 1;
            }
            let sep = &s[start..i];
            let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-');
            if !ok {
                return false;
            }
        }
        expect_alnum = !expect_alnum;
    }
    // Must end on an alphanumeric run (we flipped after it).
    !expect_alnum
}

fn is_remote_name(s: &str) -> bool {
    !s.is_empty() && s.split('/').all(is_path_component)
}

/// domainNameComponent: `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`
fn is_domain_component(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        }
        _ => false,
    }
}

/// domainAndPort: (domain-name | `[ipv6]`) (`:` port)?
fn is_domain_and_port(s: &str) -> bool {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ipv6, after)) => {
                if ipv6.is_empty() || !ipv6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
                    return false;
                }
                match after.strip_prefix(':') {
                    Some(port) => ("[ipv6]", Some(port)),
                    None if after.is_empty() => ("[ipv6]", None),
                    None => return false,
                }
            }
            None => return false,
        }
    } else {
        match s.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (s, None),
        }
    };
    let host_ok = host == "[ipv6]" || host.split('.').all(is_domain_component);
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

/// tag: `[\w][\w.-]{0,127}`
fn is_tag(s: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b.iter().all(|&c| word(c) || c == b'.' || c == b'-')
}

/// digestPat: `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}`
fn is_digest_pattern(s: &str) -> bool {
    let Some((algorithm, hex)) = s.split_once(':') else {
        return false;
    };
    let algorithm_ok = algorithm.split(['-', '_', '+', '.']).all(|part| {
        let b = part.as_bytes();
        !b.is_empty() && b[0].is_ascii_alphabetic() && b.iter().all(u8::is_ascii_alphanumeric)
    });
    algorithm_ok && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// go-digest `Digest.Validate` for the algorithms Go registers (sha256, sha384, sha512).
fn validate_digest(digest: &str) -> Result<(), &'static str> {
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return Err(ERR_DIGEST_INVALID_FORMAT);
    };
    let size = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err(ERR_DIGEST_UNSUPPORTED),
    };
    if encoded.len() != size {
        return Err(ERR_DIGEST_INVALID_LENGTH);
    }
    if !encoded
        .bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(ERR_DIGEST_INVALID_FORMAT);
    }
    Ok(())
}

/// Go's `%q` for the strings that occur here (image names, paths): a double-quoted string
/// with `"` and `\` escaped. Non-printable characters are escaped as `\xNN`/`\u`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------
// The image table
// ---------------------------------------------------------------------------------------

/// How a pull of a missing image fails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PullFailure {
    /// The registry answers 404 for the tag: `rpc error: code = NotFound … not found`.
    #[default]
    NotFound,
    /// Docker Hub's answer for a repository that does not exist (or is private):
    /// `pull access denied, repository does not exist or may require authorization`.
    AccessDenied,
}

/// One known tag of a repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagEntry {
    pub tag: String,
    /// What the CRI reports as the image size (the kubelet's `Image size: N bytes.`).
    pub size_bytes: u64,
    /// How long the pull takes on the reference cluster, in milliseconds.
    pub pull_ms: u64,
    /// The real repo digest (`sha256:…`) when known; otherwise a synthetic one is derived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// The image's own long-running program (its ENTRYPOINT/CMD, or the same binary named in
/// `command`), and what it does while it runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Server {
    /// Basenames that start it (`nginx`, `etcd`, `goproxy`): a `command` whose first word
    /// has one of these basenames runs this server.
    pub binaries: Vec<String>,
    /// TCP ports it listens on (HTTP answers 200 on every path).
    #[serde(default)]
    pub ports: Vec<u16>,
    /// Ports on which it serves `grpc.health.v1.Health` (answers `SERVING`).
    #[serde(default)]
    pub grpc_ports: Vec<u16>,
    /// Milliseconds from start until it listens.
    #[serde(default)]
    pub listen_after_ms: u64,
    /// Resident memory once started.
    #[serde(default)]
    pub memory_bytes: u64,
    /// Milliseconds it needs to exit after SIGTERM.
    #[serde(default)]
    pub stop_ms: u64,
    /// Lines the image's ENTRYPOINT script prints before it starts the server (timestamped
    /// lines are left out: there is no wall clock).
    #[serde(default)]
    pub start_logs: Vec<String>,
}

/// A repository the table knows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryEntry {
    /// Normalized repository name: `docker.io/library/nginx`, `registry.k8s.io/pause`.
    pub repository: String,
    /// `false`: no tag of this repository can be pulled.
    #[serde(default = "default_true")]
    pub exists: bool,
    /// Every tag exists (sizes from `defaultTag`, or the table default).
    #[serde(default)]
    pub any_tag: bool,
    /// The known tags. When not empty (and `anyTag` is false), any other tag does not exist.
    #[serde(default)]
    pub tags: Vec<TagEntry>,
    /// How a pull of a missing tag (or of the repository when `exists: false`) fails.
    #[serde(default)]
    pub pull_failure: PullFailure,
    /// The image config's ENTRYPOINT.
    #[serde(default)]
    pub entrypoint: Vec<String>,
    /// The image config's CMD.
    #[serde(default)]
    pub cmd: Vec<String>,
    /// The image's long-running program, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<Server>,
    /// The userland is BusyBox (error messages such as `cat: can't open 'f': …`);
    /// otherwise GNU coreutils (`cat: f: …`).
    #[serde(default)]
    pub busybox: bool,
    /// Why the entry looks the way it does (sources, choices).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

fn default_true() -> bool {
    true
}

/// The images of a cluster description.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageTable {
    pub repositories: Vec<RepositoryEntry>,
    /// Size reported for an image the table does not list (or lists with `anyTag`).
    pub default_size_bytes: u64,
    /// Pull time for such an image.
    pub default_pull_ms: u64,
}

impl Default for ImageTable {
    fn default() -> Self {
        default_images()
    }
}

/// What the table says about one image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    pub reference: ImageRef,
    pub exists: bool,
    pub size_bytes: u64,
    pub pull_ms: u64,
    /// `sha256:<64 hex>`: the repo digest the runtime reports.
    pub digest: String,
    pub pull_failure: PullFailure,
    /// The listed repository, if any (entrypoint, cmd, server).
    pub entry: Option<RepositoryEntry>,
}

impl ImageInfo {
    /// `Image ID` as containerd reports it: `docker.io/library/nginx@sha256:…`.
    pub fn image_id(&self) -> String {
        format!("{}@{}", self.reference.repository(), self.digest)
    }

    /// containerd's error for a failed pull of this image (only meaningful when
    /// `!exists`), as the kubelet embeds it after `Failed to pull image "<image>": `.
    pub fn pull_error(&self) -> String {
        pull_error_message(&self.reference, self.pull_failure)
    }
}

impl ImageTable {
    pub fn entry(&self, repository: &str) -> Option<&RepositoryEntry> {
        self.repositories
            .iter()
            .find(|r| r.repository == repository)
    }

    /// Looks up a parsed reference. See the module doc for the existence rule.
    pub fn lookup(&self, reference: &ImageRef) -> ImageInfo {
        let repository = reference.repository();
        let entry = self.entry(&repository);
        let mut info = ImageInfo {
            reference: reference.clone(),
            exists: true,
            size_bytes: self.default_size_bytes,
            pull_ms: self.default_pull_ms,
            digest: String::new(),
            pull_failure: PullFailure::NotFound,
            entry: entry.cloned(),
        };
        if let Some(entry) = entry {
            info.pull_failure = entry.pull_failure;
            info.exists = entry.exists;
            let tag = reference.effective_tag();
            let known = entry.tags.iter().find(|t| Some(t.tag.as_str()) == tag);
            match known {
                Some(t) => {
                    info.size_bytes = t.size_bytes;
                    info.pull_ms = t.pull_ms;
                    if let Some(d) = &t.digest {
                        info.digest = d.clone();
                    }
                }
                None => {
                    // A digest-only reference names content, not a tag: it exists when
                    // the repository does. Otherwise an unlisted tag is missing.
                    let by_digest_only = tag.is_none();
                    if !(entry.any_tag || entry.tags.is_empty() || by_digest_only) {
                        info.exists = false;
                    }
                    if let Some(first) = entry.tags.first() {
                        info.size_bytes = first.size_bytes;
                        info.pull_ms = first.pull_ms;
                    }
                }
            }
        }
        if let Some(digest) = &reference.digest {
            info.digest = digest.clone();
        }
        if info.digest.is_empty() {
            info.digest = synthetic_digest(&reference.normalized());
        }
        info
    }

    /// Parses and looks up `image` in one step.
    pub fn resolve(&self, image: &str) -> Result<ImageInfo, InvalidImageName> {
        parse_image_reference(image).map(|r| self.lookup(&r))
    }
}

/// A stable `sha256:<64 hex>` for an image whose real digest the table does not hold.
pub fn synthetic_digest(name: &str) -> String {
    // FNV-1a of the name seeds the crate's PRNG: same name, same digest, any platform.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("sha256:{}", Rng::new(hash).hex(64))
}

/// containerd's pull error as the kubelet prints it in `Failed to pull image "<image>": …`
/// (containerd CRI `PullImage`; exact NotFound text in reference B.6.5).
pub fn pull_error_message(reference: &ImageRef, failure: PullFailure) -> String {
    let name = reference.normalized();
    match failure {
        PullFailure::NotFound => format!(
            "rpc error: code = NotFound desc = failed to pull and unpack image \"{name}\": failed to resolve reference \"{name}\": {name}: not found"
        ),
        PullFailure::AccessDenied => format!(
            "rpc error: code = Unknown desc = failed to pull and unpack image \"{name}\": failed to resolve reference \"{name}\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"
        ),
    }
}

/// The `Pulled` event after a pull (v1.30+ wording, PR #121719; reference B.0/B.6.5):
/// `Successfully pulled image "nginx" in 1.805s (1.805s including waiting). Image size: 197280883 bytes.`
/// `pull_ms` is the pull itself, `total_ms` includes the wait in the node's serialized
/// pull queue. The kubelet truncates both to milliseconds, which is our resolution.
pub fn pulled_message(image: &str, pull_ms: u64, total_ms: u64, size_bytes: u64) -> String {
    format!(
        "Successfully pulled image {} in {} ({} including waiting). Image size: {} bytes.",
        go_quote(image),
        go_duration_ms(pull_ms),
        go_duration_ms(total_ms),
        size_bytes
    )
}

// ---------------------------------------------------------------------------------------
// Go durations
// ---------------------------------------------------------------------------------------

/// Go's `time.Duration.String()` for a duration in milliseconds: `1.805s`, `850ms`,
/// `1m2.5s`, `2h3m4.5s`, `0s`.
pub fn go_duration_ms(ms: u64) -> String {
    go_duration(i128::from(ms) * 1_000_000)
}

/// Go's `time.Duration.String()` (src/time/time.go) for a count of nanoseconds.
pub fn go_duration(nanos: i128) -> String {
    if nanos == 0 {
        return "0s".to_string();
    }
    let negative = nanos < 0;
    let mut u = nanos.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        // Sub-second: one unit (ns, µs or ms) with a fraction.
        let (prec, unit) = if u < 1_000 {
            (0, "ns")
        } else if u < 1_000_000 {
            (3, "µs")
        } else {
            (6, "ms")
        };
        let (frac, int) = go_frac(u, prec);
        out.push_str(&int.to_string());
        out.push_str(&frac);
        out.push_str(unit);
    } else {
        let (frac, secs) = go_frac(u, 9);
        u = secs;
        let s = u % 60;
        u /= 60;
        let mut text = format!("{s}{frac}s");
        if u > 0 {
            let m = u % 60;
            u /= 60;
            text = format!("{m}m{text}");
            if u > 0 {
                text = format!("{u}h{text}");
            }
        }
        out.push_str(&text);
    }
    if negative {
        format!("-{out}")
    } else {
        out
    }
}

/// Go's `fmtFrac`: the fraction `v % 10^prec` as `.ddd` without trailing zeros ("" when
/// zero), and `v / 10^prec`.
fn go_frac(v: u128, prec: u32) -> (String, u128) {
    let scale = 10u128.pow(prec);
    let frac = v % scale;
    if frac == 0 {
        return (String::new(), v / scale);
    }
    let digits = format!("{:0width$}", frac, width = prec as usize);
    (format!(".{}", digits.trim_end_matches('0')), v / scale)
}

/// Go's `time.ParseDuration`, in milliseconds (sub-millisecond parts are truncated).
/// Errors carry Go's messages (`time: invalid duration "x"`, `time: missing unit in
/// duration "5"`, `time: unknown unit "d" in duration "1d"`). Negative durations are
/// returned as errors too: nothing in the behaviour model runs backwards.
pub fn parse_go_duration_ms(text: &str) -> Result<u64, String> {
    let quoted = go_quote(text);
    let invalid = || format!("time: invalid duration {quoted}");
    let mut s = text;
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('-') {
        negative = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total_nanos: u128 = 0;
    while !s.is_empty() {
        // Integer part.
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &s[..int_len];
        s = &s[int_len..];
        let mut frac_part = "";
        if let Some(rest) = s.strip_prefix('.') {
            let frac_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &rest[..frac_len];
            s = &rest[frac_len..];
            if int_part.is_empty() && frac_part.is_empty() {
                return Err(invalid());
            }
        } else if int_part.is_empty() {
            return Err(invalid());
        }
        let unit_len = s
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map(|(i, _)| i)
            .unwrap_or(s.len());
        let unit = &s[..unit_len];
        s = &s[unit_len..];
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration {quoted}"));
        }
        let unit_nanos: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {quoted}",
                    go_quote(unit)
                ))
            }
        };
        let int_value: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| invalid())?
        };
        let mut value = int_value.checked_mul(unit_nanos).ok_or_else(invalid)?;
        // The fraction, digit by digit (Go keeps 18+ digits; nanosecond units suffice).
        let mut scale = unit_nanos;
        for d in frac_part.bytes().take(30) {
            scale /= 10;
            if scale == 0 {
                break;
            }
            value += u128::from(d - b'0') * scale;
        }
        total_nanos = total_nanos.checked_add(value).ok_or_else(invalid)?;
        // Go's Duration is an int64 of nanoseconds.
        if total_nanos > i64::MAX as u128 {
            return Err(invalid());
        }
    }
    if negative && total_nanos > 0 {
        return Err(format!("negative duration {quoted}"));
    }
    Ok((total_nanos / 1_000_000) as u64)
}

// ---------------------------------------------------------------------------------------
// The default table
// ---------------------------------------------------------------------------------------

fn tag(tag: &str, size_bytes: u64, pull_ms: u64) -> TagEntry {
    TagEntry {
        tag: tag.to_string(),
        size_bytes,
        pull_ms,
        digest: None,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn repo(repository: &str, tags: Vec<TagEntry>) -> RepositoryEntry {
    RepositoryEntry {
        repository: repository.to_string(),
        exists: true,
        any_tag: false,
        tags,
        pull_failure: PullFailure::NotFound,
        entrypoint: Vec::new(),
        cmd: Vec::new(),
        server: None,
        busybox: false,
        note: String::new(),
    }
}

/// The `nginx` image's entrypoint script output (docker-library/nginx
/// `docker-entrypoint.sh` and its `/docker-entrypoint.d` scripts in 1.2x images).
const NGINX_ENTRYPOINT_LOGS: &[&str] = &[
    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
    "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
    "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
    "/docker-entrypoint.sh: Configuration complete; ready for start up",
];

/// The images the reference cluster knows.
///
/// Sizes are what containerd reported in real `Pulled` events (captures found with the
/// search tool) where one was found; entries marked "approximate" are the compressed size
/// from the registry, rounded. Pull times are typical of those captures.
pub fn default_images() -> ImageTable {
    let busybox_shell = |mut r: RepositoryEntry| {
        r.cmd = strings(&["sh"]);
        r.busybox = true;
        r
    };
    let mut nginx = repo(
        "docker.io/library/nginx",
        vec![
            // Reference B.0/B.1.4: `Image size: 197280883 bytes.` for `nginx` in 1.805s.
            tag("latest", 197_280_883, 1_805),
            tag("stable", 197_280_883, 1_805),
            tag("1.27", 197_280_883, 1_805),
            TagEntry {
                tag: "1.14.2".to_string(),
                // Real captures: `Image size: 44710204 bytes.`
                size_bytes: 44_710_204,
                pull_ms: 6_323,
                digest: Some(
                    "sha256:f7988fb6c02e0ce69257d9bd9cf37ae20a60f1df7563c3a2a6abe24160306b8d"
                        .to_string(),
                ),
            },
            tag("1.14", 44_710_204, 6_323),
            tag("1.15", 44_600_000, 6_000),
            tag("1.16", 51_000_000, 6_000),
            tag("alpine", 20_500_000, 1_500),
        ],
    );
    nginx.entrypoint = strings(&["/docker-entrypoint.sh"]);
    nginx.cmd = strings(&["nginx", "-g", "daemon off;"]);
    nginx.server = Some(Server {
        binaries: strings(&["nginx"]),
        ports: vec![80],
        grpc_ports: vec![],
        listen_after_ms: 100,
        memory_bytes: 8 * 1024 * 1024,
        // nginx exits promptly on SIGTERM (fast shutdown; SIGQUIT is the graceful one).
        stop_ms: 100,
        start_logs: strings(NGINX_ENTRYPOINT_LOGS),
    });
    nginx.note = "Serves :80 forever. Tags not listed do not exist (nginx:doesnotexist → ErrImagePull). The 1.14.x images predate the entrypoint script, so their start logs are empty in reality; podflow prints the script lines for every tag.".to_string();

    let mut busybox = busybox_shell(repo(
        "docker.io/library/busybox",
        vec![
            // Real captures: busybox:1.36 `Image size: 2217006 bytes.` (amd64).
            tag("latest", 2_217_006, 1_842),
            tag("1.36", 2_217_006, 1_842),
            tag("1.36.1", 2_217_006, 1_842),
            tag("1.37", 2_200_000, 1_800),
            tag("1.28", 727_869, 1_200),
            tag("stable", 2_217_006, 1_842),
        ],
    ));
    busybox.note = "Default CMD is `sh`: with no tty and no stdin it exits 0 at once (Completed, then CrashLoopBackOff under restartPolicy Always).".to_string();

    let mut k8s_busybox = busybox_shell(repo(
        "registry.k8s.io/busybox",
        vec![
            // Real capture: `Successfully pulled image "registry.k8s.io/busybox" in 1.08s … Image size: 1144547 bytes.`
            tag("latest", 1_144_547, 1_080),
            tag("1.27.2", 1_144_547, 1_080),
            tag("1.27", 1_144_547, 1_080),
            tag("1.24", 1_144_547, 1_080),
        ],
    ));
    k8s_busybox.note = "Used by the probe and envFrom examples. Size from a real capture of `latest`; 1.27.2 assumed the same (approximate).".to_string();

    let mut debian = repo(
        "docker.io/library/debian",
        vec![
            // Real capture (command-demo): `Image size: 48316582 bytes.` in 11.231s.
            tag("latest", 48_316_582, 4_165),
            tag("bookworm", 48_316_582, 4_165),
            tag("bookworm-slim", 28_230_000, 3_000),
            tag("12", 48_316_582, 4_165),
            tag("bullseye", 55_000_000, 4_500),
        ],
    );
    debian.cmd = strings(&["bash"]);
    debian.note = "Default CMD is `bash`, which exits 0 at once without a tty.".to_string();

    let mut perl = repo(
        "docker.io/library/perl",
        vec![
            // Approximate: perl:latest is ~330 MB compressed; real pulls took 12–29 s.
            tag("latest", 331_000_000, 12_345),
            tag("5.34.0", 327_000_000, 12_345),
            tag("5", 331_000_000, 12_345),
            tag("slim", 52_000_000, 4_000),
        ],
    );
    perl.cmd = strings(&["perl5.40.0", "-de0"]);
    perl.note =
        "Used by the pi Job. Default CMD is an interactive debugger, which exits without a tty."
            .to_string();

    let mut goproxy = repo(
        "registry.k8s.io/goproxy",
        // Real captures: `Image size: 1698862 bytes.` in 695ms–4.4s.
        vec![tag("0.1", 1_698_862, 3_691)],
    );
    goproxy.entrypoint = strings(&["/goproxy"]);
    goproxy.server = Some(Server {
        binaries: strings(&["goproxy"]),
        ports: vec![8080],
        grpc_ports: vec![],
        listen_after_ms: 0,
        memory_bytes: 4 * 1024 * 1024,
        stop_ms: 0,
        start_logs: vec![],
    });
    goproxy.note = "An HTTP proxy listening on :8080 (tcp-liveness-readiness example).".to_string();

    let mut etcd = repo(
        "registry.k8s.io/etcd",
        vec![
            // Approximate (~57 MB compressed).
            tag("3.5.1-0", 56_900_000, 5_000),
            tag("3.5.15-0", 56_900_000, 5_000),
            tag("3.5.16-0", 57_000_000, 5_000),
            tag("3.5.21-0", 58_000_000, 5_000),
        ],
    );
    etcd.server = Some(Server {
        binaries: strings(&["etcd"]),
        ports: vec![2379, 2380],
        grpc_ports: vec![2379],
        listen_after_ms: 500,
        memory_bytes: 40 * 1024 * 1024,
        stop_ms: 200,
        start_logs: vec![],
    });
    etcd.note = "Serves the gRPC health protocol on :2379 (grpc-liveness example).".to_string();

    let mut pause = repo(
        "registry.k8s.io/pause",
        vec![
            TagEntry {
                tag: "3.10".to_string(),
                // Approximate (~320 KB compressed); digest is the published one.
                size_bytes: 320_368,
                pull_ms: 400,
                digest: Some(
                    "sha256:ee6521f290b2168b6e0935a181d4cff9be1ac3f505666ef0e3c98fae8199917a"
                        .to_string(),
                ),
            },
            tag("3.9", 321_520, 400),
            tag("3.8", 311_286, 400),
            tag("3.6", 301_773, 400),
            tag("latest", 301_773, 400),
        ],
    );
    pause.entrypoint = strings(&["/pause"]);
    pause.server = Some(Server {
        binaries: strings(&["pause"]),
        ports: vec![],
        grpc_ports: vec![],
        listen_after_ms: 0,
        memory_bytes: 256 * 1024,
        stop_ms: 0,
        start_logs: vec![],
    });
    pause.note =
        "The sandbox image (registry.k8s.io/pause:3.10): sleeps until signalled.".to_string();

    let mut polinux_stress = repo(
        "docker.io/polinux/stress",
        // Real captures: `Image size: 4041495 bytes.`
        vec![tag("latest", 4_041_495, 1_303)],
    );
    polinux_stress.cmd = strings(&["stress", "--help"]);
    polinux_stress.note =
        "`stress --vm N --vm-bytes SIZE` allocates N × SIZE (OOM examples).".to_string();

    let mut vish_stress = repo(
        "docker.io/vish/stress",
        // Approximate.
        vec![tag("latest", 3_030_000, 1_500)],
    );
    vish_stress.entrypoint = strings(&["/stress", "-logtostderr"]);
    vish_stress.note =
        "`-mem-total`, `-mem-alloc-size`, `-mem-alloc-sleep` grow memory step by step.".to_string();

    let mut frontend = repo(
        "gcr.io/google-samples/gb-frontend",
        // Approximate (~ 150 MB compressed).
        vec![tag("v4", 150_000_000, 9_000), tag("v5", 160_000_000, 9_000)],
    );
    frontend.entrypoint = strings(&["apache2-foreground"]);
    frontend.server = Some(Server {
        binaries: strings(&["apache2-foreground", "apache2"]),
        ports: vec![80],
        grpc_ports: vec![],
        listen_after_ms: 300,
        memory_bytes: 30 * 1024 * 1024,
        stop_ms: 100,
        start_logs: vec![],
    });
    frontend.note = "Guestbook PHP frontend on :80. Still pullable from gcr.io at the time of writing; set `exists: false` to teach the gcr.io → Artifact Registry migration.".to_string();

    let mut fluentd = repo("k8s.gcr.io/fluentd-elasticsearch", vec![]);
    fluentd.exists = false;
    fluentd.note = "Choice: does not exist. k8s.gcr.io is frozen and redirects to registry.k8s.io, which never received this old image (corpus row 33: \"may fail to pull today\"). Set `exists: true` to model a cluster with a mirror.".to_string();

    let mut gcr_google_containers = repo("gcr.io/google_containers/busybox", vec![]);
    gcr_google_containers.exists = false;
    gcr_google_containers.note =
        "gcr.io/google_containers was shut down with Container Registry; pulls fail.".to_string();

    let mut alpine = busybox_shell(repo(
        "docker.io/library/alpine",
        vec![
            tag("latest", 3_623_807, 1_500),
            tag("3.20", 3_623_807, 1_500),
            tag("3.19", 3_417_562, 1_500),
            tag("3", 3_623_807, 1_500),
        ],
    ));
    alpine.cmd = strings(&["/bin/sh"]);
    alpine.note = "Approximate sizes. Default CMD `/bin/sh` exits 0 at once.".to_string();

    let mut curl = repo(
        "docker.io/curlimages/curl",
        vec![
            tag("latest", 10_300_000, 1_800),
            tag("8.10.1", 10_300_000, 1_800),
        ],
    );
    curl.entrypoint = strings(&["/entrypoint.sh"]);
    curl.cmd = strings(&["curl"]);
    curl.note =
        "Approximate size. Default command prints curl's usage hint and exits 2.".to_string();

    let mut redis = repo(
        "docker.io/library/redis",
        vec![
            tag("latest", 45_000_000, 3_500),
            tag("7", 45_000_000, 3_500),
            tag("alpine", 17_000_000, 2_000),
        ],
    );
    redis.entrypoint = strings(&["docker-entrypoint.sh"]);
    redis.cmd = strings(&["redis-server"]);
    redis.server = Some(Server {
        binaries: strings(&["redis-server"]),
        ports: vec![6379],
        grpc_ports: vec![],
        listen_after_ms: 100,
        memory_bytes: 4 * 1024 * 1024,
        stop_ms: 100,
        start_logs: vec![],
    });
    redis.note = "Approximate sizes. Listens on :6379.".to_string();

    let mut httpd = repo(
        "docker.io/library/httpd",
        vec![
            tag("latest", 58_000_000, 4_000),
            tag("2.4", 58_000_000, 4_000),
            tag("alpine", 22_000_000, 2_000),
        ],
    );
    httpd.cmd = strings(&["httpd-foreground"]);
    httpd.server = Some(Server {
        binaries: strings(&["httpd-foreground", "httpd"]),
        ports: vec![80],
        grpc_ports: vec![],
        listen_after_ms: 100,
        memory_bytes: 6 * 1024 * 1024,
        // httpd's graceful-stop is SIGWINCH; SIGTERM stops it at once.
        stop_ms: 100,
        start_logs: vec![],
    });
    httpd.note = "Approximate sizes. Listens on :80.".to_string();

    let mut python = repo(
        "docker.io/library/python",
        vec![
            tag("latest", 400_000_000, 15_000),
            tag("3", 400_000_000, 15_000),
            tag("3.12", 400_000_000, 15_000),
            tag("3.12-slim", 45_000_000, 3_500),
            tag("3.13", 410_000_000, 15_000),
            tag("3.13-slim", 46_000_000, 3_500),
        ],
    );
    python.cmd = strings(&["python3"]);
    python.note =
        "Approximate sizes. Default CMD `python3` (REPL) exits 0 without a tty.".to_string();

    ImageTable {
        repositories: vec![
            nginx,
            busybox,
            k8s_busybox,
            debian,
            perl,
            goproxy,
            etcd,
            pause,
            polinux_stress,
            vish_stress,
            frontend,
            fluentd,
            gcr_google_containers,
            alpine,
            curl,
            redis,
            httpd,
            python,
        ],
        default_size_bytes: 50_000_000,
        default_pull_ms: 3_000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(image: &str) -> ImageRef {
        parse_image_reference(image).unwrap_or_else(|e| panic!("{image}: {}", e.message()))
    }

    #[test]
    fn familiar_names_are_normalized_to_docker_hub() {
        let r = parsed("nginx");
        assert_eq!(r.repository(), "docker.io/library/nginx");
        assert_eq!(r.tag, None);
        assert_eq!(r.effective_tag(), Some("latest"));
        assert_eq!(r.normalized(), "docker.io/library/nginx:latest");
        assert_eq!(r.with_default_tag(), "nginx:latest");

        let r = parsed("nginx:doesnotexist");
        assert_eq!(r.normalized(), "docker.io/library/nginx:doesnotexist");
        assert_eq!(r.with_default_tag(), "nginx:doesnotexist");

        let r = parsed("polinux/stress");
        assert_eq!(r.normalized(), "docker.io/polinux/stress:latest");
        let r = parsed("docker.io/busybox");
        assert_eq!(r.repository(), "docker.io/library/busybox");
        let r = parsed("index.docker.io/library/busybox:1.36");
        assert_eq!(r.normalized(), "docker.io/library/busybox:1.36");
    }

    #[test]
    fn registries_ports_and_digests() {
        let r = parsed("registry.k8s.io/busybox:1.27.2");
        assert_eq!(
            (r.domain.as_str(), r.path.as_str()),
            ("registry.k8s.io", "busybox")
        );
        assert_eq!(r.tag.as_deref(), Some("1.27.2"));

        let r = parsed("host:5000/img:tag");
        assert_eq!(r.domain, "host:5000");
        assert_eq!(r.path, "img");
        assert_eq!(r.tag.as_deref(), Some("tag"));
        let r = parsed("localhost/app");
        assert_eq!(r.normalized(), "localhost/app:latest");
        let r = parsed("gcr.io/google-samples/gb-frontend:v4");
        assert_eq!(r.path, "google-samples/gb-frontend");

        let hex = "f7988fb6c02e0ce69257d9bd9cf37ae20a60f1df7563c3a2a6abe24160306b8d";
        let r = parsed(&format!("nginx@sha256:{hex}"));
        assert_eq!(r.digest.as_deref(), Some(format!("sha256:{hex}").as_str()));
        assert_eq!(r.effective_tag(), None);
        assert_eq!(
            r.normalized(),
            format!("docker.io/library/nginx@sha256:{hex}")
        );
        assert_eq!(r.with_default_tag(), format!("nginx@sha256:{hex}"));
        // Tag and digest: containerd keeps only the digest.
        let r = parsed(&format!("nginx:1.14.2@sha256:{hex}"));
        assert_eq!(r.tag.as_deref(), Some("1.14.2"));
        assert_eq!(
            r.normalized(),
            format!("docker.io/library/nginx@sha256:{hex}")
        );
    }

    #[test]
    fn invalid_names_give_the_kubelets_inspect_failed_message() {
        let err = parse_image_reference("nginx:").unwrap_err();
        assert_eq!(
            err.message(),
            "Failed to apply default image tag \"nginx:\": couldn't parse image name \"nginx:\": invalid reference format"
        );
        // Real capture (ImagePullBackOff walkthrough): trailing slash / double slash.
        let err =
            parse_image_reference("registry.hub.docker.com/library//nginx:latest").unwrap_err();
        assert_eq!(err.error, "invalid reference format");
        // Real v1.3x capture: `repository name (library/…) must be lowercase`.
        let err = parse_image_reference("busyBOX").unwrap_err();
        assert_eq!(
            err.message(),
            "Failed to apply default image tag \"busyBOX\": couldn't parse image name \"busyBOX\": invalid reference format: repository name (library/busyBOX) must be lowercase"
        );
        let err = parse_image_reference("hfhugs/unsloth-gemma-3-4b-it-GGUF:Q4_K_XL").unwrap_err();
        assert_eq!(
            err.error,
            "invalid reference format: repository name (hfhugs/unsloth-gemma-3-4b-it-GGUF) must be lowercase"
        );
        for bad in [
            "",
            "https://nginx",
            "nginx bad",
            "-nginx",
            "nginx:-tag",
            "ngi__-nx",
            "a/b/",
            ":latest",
        ] {
            assert!(
                parse_image_reference(bad).is_err(),
                "{bad:?} should not parse"
            );
        }
        assert_eq!(
            parse_image_reference("nginx@sha256:abc").unwrap_err().error,
            "invalid reference format"
        );
        let short = format!("nginx@sha256:{}", "a".repeat(40));
        assert_eq!(
            parse_image_reference(&short).unwrap_err().error,
            "invalid checksum digest length"
        );
        let id = "a".repeat(64);
        assert!(parse_image_reference(&id)
            .unwrap_err()
            .error
            .contains("cannot specify 64-byte hexadecimal strings"));
        // Uppercase registry hosts and tags are fine.
        assert!(parse_image_reference("MyRegistry.io/app:V1").is_ok());
        assert!(parse_image_reference("a.b-c__d/e").is_ok());
    }

    #[test]
    fn existence_rule_and_the_containerd_not_found_message() {
        let table = default_images();
        let nginx = table.resolve("nginx").unwrap();
        assert!(nginx.exists);
        assert_eq!(nginx.size_bytes, 197_280_883);
        assert_eq!(nginx.pull_ms, 1_805);

        let missing = table.resolve("nginx:doesnotexist").unwrap();
        assert!(!missing.exists);
        assert_eq!(
            format!("Failed to pull image \"nginx:doesnotexist\": {}", missing.pull_error()),
            "Failed to pull image \"nginx:doesnotexist\": rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:doesnotexist\": failed to resolve reference \"docker.io/library/nginx:doesnotexist\": docker.io/library/nginx:doesnotexist: not found"
        );

        let fluentd = table
            .resolve("k8s.gcr.io/fluentd-elasticsearch:1.20")
            .unwrap();
        assert!(!fluentd.exists);
        assert!(fluentd.pull_error().contains(
            "failed to resolve reference \"k8s.gcr.io/fluentd-elasticsearch:1.20\": k8s.gcr.io/fluentd-elasticsearch:1.20: not found"
        ));

        // Unknown repositories exist with the table defaults.
        let unknown = table.resolve("ghcr.io/example/app:1.0").unwrap();
        assert!(unknown.exists);
        assert_eq!(unknown.size_bytes, table.default_size_bytes);

        let old_nginx = table.resolve("nginx:1.14.2").unwrap();
        assert_eq!(old_nginx.size_bytes, 44_710_204);
        assert_eq!(
            old_nginx.image_id(),
            "docker.io/library/nginx@sha256:f7988fb6c02e0ce69257d9bd9cf37ae20a60f1df7563c3a2a6abe24160306b8d"
        );
        assert!(table.resolve(SANDBOX_IMAGE).unwrap().exists);
    }

    #[test]
    fn synthetic_digests_are_stable_and_well_formed() {
        let a = synthetic_digest("docker.io/library/nginx:latest");
        assert_eq!(a, synthetic_digest("docker.io/library/nginx:latest"));
        assert_ne!(a, synthetic_digest("docker.io/library/nginx:1.27"));
        assert!(validate_digest(&a).is_ok(), "{a}");
    }

    #[test]
    fn table_round_trips_through_yaml() {
        let table = default_images();
        let yaml = serde_yaml::to_string(&table).unwrap();
        let back: ImageTable = serde_yaml::from_str(&yaml).unwrap();
        assert_eq!(back, table);
        // A hand-written entry: defaults fill in.
        let small: ImageTable = serde_yaml::from_str(
            "repositories:\n- repository: docker.io/library/nginx\n  exists: false\ndefaultSizeBytes: 1\ndefaultPullMs: 2\n",
        )
        .unwrap();
        assert!(!small.resolve("nginx").unwrap().exists);
        assert!(small.resolve("redis").unwrap().exists);
    }

    #[test]
    fn pulled_event_message() {
        assert_eq!(
            pulled_message("nginx", 1_805, 1_805, 197_280_883),
            "Successfully pulled image \"nginx\" in 1.805s (1.805s including waiting). Image size: 197280883 bytes."
        );
        assert_eq!(
            pulled_message("nginx:1.14.2", 199, 5_805, 44_710_204),
            "Successfully pulled image \"nginx:1.14.2\" in 199ms (5.805s including waiting). Image size: 44710204 bytes."
        );
    }

    #[test]
    fn go_duration_strings() {
        assert_eq!(go_duration_ms(1_805), "1.805s");
        assert_eq!(go_duration_ms(500), "500ms");
        assert_eq!(go_duration_ms(850), "850ms");
        assert_eq!(go_duration_ms(60_000), "1m0s");
        assert_eq!(go_duration_ms(62_500), "1m2.5s");
        assert_eq!(go_duration_ms(7_384_500), "2h3m4.5s");
        assert_eq!(go_duration_ms(3_600_000), "1h0m0s");
        assert_eq!(go_duration_ms(300_000), "5m0s");
        assert_eq!(go_duration_ms(0), "0s");
        assert_eq!(go_duration(1_500_000), "1.5ms");
        assert_eq!(go_duration(1_500), "1.5µs");
        assert_eq!(go_duration(7), "7ns");
        assert_eq!(go_duration(-2_000_000_000), "-2s");
        assert_eq!(go_duration(738_049_163), "738.049163ms");
        assert_eq!(go_duration(11_952_023_062), "11.952023062s");
    }

    #[test]
    fn go_duration_parsing() {
        assert_eq!(parse_go_duration_ms("5s"), Ok(5_000));
        assert_eq!(parse_go_duration_ms("1m30s"), Ok(90_000));
        assert_eq!(parse_go_duration_ms("250ms"), Ok(250));
        assert_eq!(parse_go_duration_ms("1.5h"), Ok(5_400_000));
        assert_eq!(parse_go_duration_ms(".5s"), Ok(500));
        assert_eq!(parse_go_duration_ms("0"), Ok(0));
        assert_eq!(parse_go_duration_ms("1500us"), Ok(1));
        assert_eq!(
            parse_go_duration_ms("5"),
            Err("time: missing unit in duration \"5\"".to_string())
        );
        assert_eq!(
            parse_go_duration_ms("1d"),
            Err("time: unknown unit \"d\" in duration \"1d\"".to_string())
        );
        assert_eq!(
            parse_go_duration_ms("five seconds"),
            Err("time: invalid duration \"five seconds\"".to_string())
        );
        assert_eq!(
            parse_go_duration_ms(""),
            Err("time: invalid duration \"\"".to_string())
        );
        assert!(parse_go_duration_ms("99999999999h").is_err());
        assert!(parse_go_duration_ms("-5s").is_err());
    }
}
