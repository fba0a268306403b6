"""Column descriptions: the swagger docs of the Go fields behind each column
(k8s.io/api v0.32.0), keyed by a short name the column definitions refer to."""

from __future__ import annotations

_RC_INFO = (
    " More info: https://kubernetes.io/docs/concepts/workloads/controllers/"
    "replicationcontroller/#what-is-a-replicationcontroller"
)
DOCS: dict[str, str] = {
    "name": (
        "Name must be unique within a namespace. Is required when creating resources, although "
        "some resources may allow a client to request the generation of an appropriate name "
        "automatically. Name is primarily intended for creation idempotence and configuration "
        "definition. Cannot be updated. More info: "
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
    ),
    "age": (
        "CreationTimestamp is a timestamp representing the server time when this object was "
        "created. It is not guaranteed to be set in happens-before order across separate "
        "operations. Clients may not set this value. It is represented in RFC3339 form and is "
        "in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
        "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"
        "#metadata"
    ),
    "containers": "Names of each container in the template.",
    "images": "Images referenced by each container in the template.",
    "pod.ready": "The aggregate readiness state of this pod for accepting traffic.",
    "pod.status": "The aggregate status of the containers in this pod.",
    "pod.restarts": (
        "The number of times the containers in this pod have been restarted and when the last "
        "container in this pod has restarted."
    ),
    "pod.ip": (
        "podIP address allocated to the pod. Routable at least within the cluster. Empty if not "
        "yet allocated."
    ),
    "pod.node": (
        "NodeName indicates in which node this pod is scheduled. If empty, this pod is a "
        "candidate for scheduling by the scheduler defined in schedulerName. Once this field is "
        "set, the kubelet for this node becomes responsible for the lifecycle of this pod. This "
        "field should not be used to express a desire for the pod to be scheduled on a specific "
        "node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename"
    ),
    "pod.nominated": (
        "nominatedNodeName is set only when this pod preempts other pods on the node, but it "
        "cannot be scheduled right away as preemption victims receive their graceful "
        "termination periods. This field does not guarantee that the pod will be scheduled on "
        "this node. Scheduler may decide to place the pod elsewhere if other nodes become "
        "available sooner. Scheduler may also decide to give the resources on this node to a "
        "higher priority pod that is created after preemption. As a result, this field may be "
        "different than PodSpec.nodeName when the pod is scheduled."
    ),
    "pod.gates": (
        "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready "
        "when all its containers are ready AND all conditions specified in the readiness gates "
        'have status equal to "True" More info: '
        "https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"
    ),
    "node.status": "The status of the node",
    "node.roles": "The roles of the node",
    "node.version": "Kubelet Version reported by the node.",
    "node.addresses": (
        "List of addresses reachable to the node. Queried from cloud provider, if available. "
        "More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This "
        "field is declared as mergeable, but the merge key is not sufficiently unique, which can "
        "cause data corruption when it is merged. Callers should instead use a full-replacement "
        "patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that "
        "addresses can change during the lifetime of a Node. However, there are some exceptions "
        "where this may not be possible, such as Pods that inherit a Node's address in its own "
        "status or consumers of the downward API (status.hostIP)."
    ),
    "node.os": "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 "
    "(wheezy)).",
    "node.kernel": "Kernel Version reported by the node from 'uname -r' (e.g. "
    "3.16.0-0.bpo.4-amd64).",
    "node.runtime": "ContainerRuntime Version reported by the node through runtime remote API "
    "(e.g. containerd://1.4.2).",
    "namespace.status": "The status of the namespace",
    "quota.request": (
        "Request represents a minimum amount of cpu/memory that a container may consume."
    ),
    "quota.limit": (
        "Limits control the maximum amount of cpu/memory that a container may use independent "
        "of contention on the node."
    ),
    "pvc.status": "phase represents the current phase of PersistentVolumeClaim.",
    "pvc.volume": "volumeName is the binding reference to the PersistentVolume backing this claim.",
    "pvc.capacity": "capacity represents the actual resources of the underlying volume.",
    "pvc.modes": (
        "accessModes contains the actual access modes the volume backing the PVC has. More "
        "info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1"
    ),
    "pvc.class": "StorageClass of the pvc",
    "pvc.vac": "VolumeAttributesClass of the pvc",
    "pvc.mode": (
        "volumeMode defines what type of volume is required by the claim. Value of Filesystem "
        "is implied when not included in claim spec."
    ),
    "event.last": "The time at which the most recent occurrence of this event was recorded.",
    "event.type": "Type of this event (Normal, Warning), new types could be added in the future",
    "event.reason": (
        "This should be a short, machine understandable string that gives the reason for the "
        "transition into the object's current status."
    ),
    "event.object": "The object that this event is about.",
    "event.subobject": (
        "If referring to a piece of an object instead of an entire object, this string should "
        "contain a valid JSON/Go field access statement, such as "
        "desiredState.manifest.containers[2]. For example, if the object reference is to a "
        'container within a pod, this would take on a value like: "spec.containers{name}" '
        '(where "name" refers to the name of the container that triggered the event) or if no '
        'container name is specified "spec.containers[2]" (container with index 2 in this '
        "pod). This syntax is chosen only to have some well-defined way of referencing a part "
        "of an object."
    ),
    "event.source": (
        "The component reporting this event. Should be a short machine understandable string."
    ),
    "event.message": "A human-readable description of the status of this operation.",
    "event.first": (
        "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"
    ),
    "event.count": "The number of times this event has occurred.",
    "deploy.ready": "Number of the pod with ready state",
    "deploy.updated": (
        "Total number of non-terminated pods targeted by this deployment that have the desired "
        "template spec."
    ),
    "deploy.available": (
        "Total number of available pods (ready for at least minReadySeconds) targeted by this "
        "deployment."
    ),
    "deploy.selector": (
        "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be "
        "the ones affected by this deployment."
    ),
    "rs.desired": (
        "Replicas is the number of desired replicas. This is a pointer to distinguish between "
        "explicit zero and unspecified. Defaults to 1." + _RC_INFO
    ),
    "rs.current": "Replicas is the most recently observed number of replicas." + _RC_INFO,
    "rs.ready": "The number of ready replicas for this replica set.",
    "rs.selector": (
        "Selector is a label query over pods that should match the replica count. If the "
        "selector is empty, it is defaulted to the labels present on the pod template. Label "
        "keys and values that must match in order to be controlled by this replica set. More "
        "info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/"
        "#label-selectors"
    ),
}
