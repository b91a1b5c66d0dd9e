#!/usr/bin/python3
"""A minimal CRI (runtime.v1) client for the CRI tests (lib.sh cri_*): what a kubelet
does to run one container of a pod with a RuntimeClass handler.

  cri_client.py SOCKET run-pod HANDLER NAME LOG_DIR [POD_OPTION...]  -> pod sandbox id
  cri_client.py SOCKET create POD POD_NAME NAME LOG_DIR IMAGE [POD_OPTION...]
                                [--mount HOST:CTR]... -- CMD...     -> container id
  cri_client.py SOCKET start ID
  cri_client.py SOCKET wait ID                               -> exit code
  cri_client.py SOCKET remove-pod POD

POD_OPTION: --namespace NS (the pod's Kubernetes namespace, default
moat-test; containerd's CRI plugin writes it into the annotation
io.kubernetes.cri.sandbox-namespace), --host-network (the pod and its
containers in the node's network namespace). create takes the pod's options
again: a kubelet sends the pod's config with every container.

Messages are encoded by hand (field numbers of k8s.io/cri-api's api.proto):
no generated code, only python3-grpcio. An RPC error is printed on stderr as
"<code>: <details>" and exits 1.
"""
import sys
import time

import grpc

SERVICE = "/runtime.v1.RuntimeService/"


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def num(field, value):  # varint field (uint32, int64, bool, enum)
    return varint(field << 3) + varint(value)


def blob(field, data):  # length-delimited field (string, bytes, message)
    if isinstance(data, str):
        data = data.encode()
    return varint(field << 3 | 2) + varint(len(data)) + data


def decode(data):
    """Top-level fields: {field number: [int or bytes, ...]}."""
    fields, i = {}, 0
    while i < len(data):
        key, i = read_varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = read_varint(data, i)
        elif wire == 2:
            size, i = read_varint(data, i)
            value, i = data[i:i + size], i + size
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        fields.setdefault(field, []).append(value)
    return fields


def read_varint(data, i):
    shift = value = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def namespace_options(host_network):
    # NamespaceOption: network POD (0) or NODE (2), pid CONTAINER (1), ipc POD
    # (0), as a kubelet sets them for a pod without (or with) hostNetwork.
    return (num(1, 2) if host_network else b"") + num(2, 1)


def pod_options(args):
    """Leading POD_OPTIONs of args: ({"namespace": ..., "host_network": ...}, rest)."""
    opts = {"namespace": "moat-test", "host_network": False}
    while args:
        if args[0] == "--namespace" and len(args) > 1:
            opts["namespace"], args = args[1], args[2:]
        elif args[0] == "--host-network":
            opts["host_network"], args = True, args[1:]
        else:
            break
    return opts, args


def sandbox_config(name, log_dir, opts):
    metadata = blob(1, name) + blob(2, "uid-" + name) + blob(3, opts["namespace"])
    security = blob(1, namespace_options(opts["host_network"]))  # LinuxSandboxSecurityContext
    linux = blob(2, security)  # LinuxPodSandboxConfig.security_context
    # hostname (2): as a kubelet, none for a pod on the node's network (runc
    # cannot set one without a private UTS namespace).
    hostname = b"" if opts["host_network"] else blob(2, name)
    return blob(1, metadata) + hostname + blob(3, log_dir) + blob(8, linux)


def call(channel, method, request):
    rpc = channel.unary_unary(SERVICE + method)
    try:
        return decode(rpc(request, timeout=120))
    except grpc.RpcError as e:
        print(f"{e.code().name}: {e.details()}", file=sys.stderr)
        sys.exit(1)


def main(argv):
    sock, verb, args = argv[1], argv[2], argv[3:]
    channel = grpc.insecure_channel("unix://" + sock)
    if verb == "run-pod":
        handler, name, log_dir = args[:3]
        opts, rest = pod_options(args[3:])
        if rest:
            sys.exit(f"run-pod: unknown option {rest[0]}")
        reply = call(channel, "RunPodSandbox",
                     blob(1, sandbox_config(name, log_dir, opts)) + blob(2, handler))
        print(reply[1][0].decode())
    elif verb == "create":
        pod, pod_name, name, log_dir, image = args[:5]
        opts, rest = pod_options(args[5:])
        mounts = b""
        while rest and rest[0] == "--mount":
            host, ctr = rest[1].split(":", 1)
            mounts += blob(7, blob(1, ctr) + blob(2, host))  # Mount, writable
            rest = rest[2:]
        if not rest or rest[0] != "--":
            sys.exit("create: want -- CMD...")
        config = blob(1, blob(1, name)) + blob(2, blob(1, image))
        for word in rest[1:]:
            config += blob(3, word)
        config += mounts + blob(11, name + ".log")
        # linux.security_context.namespace_options
        config += blob(15, blob(2, blob(3, namespace_options(opts["host_network"]))))
        reply = call(channel, "CreateContainer",
                     blob(1, pod) + blob(2, config) +
                     blob(3, sandbox_config(pod_name, log_dir, opts)))
        print(reply[1][0].decode())
    elif verb == "start":
        call(channel, "StartContainer", blob(1, args[0]))
    elif verb == "wait":
        deadline = time.time() + 60
        while time.time() < deadline:
            status = decode(call(channel, "ContainerStatus", blob(1, args[0]))[1][0])
            if status.get(3, [0])[0] == 2:  # CONTAINER_EXITED
                print(status.get(7, [0])[0])
                return
            time.sleep(0.2)
        sys.exit(f"wait: {args[0]} did not exit within 60 s")
    elif verb == "remove-pod":
        call(channel, "StopPodSandbox", blob(1, args[0]))
        call(channel, "RemovePodSandbox", blob(1, args[0]))
    else:
        sys.exit(f"unknown verb {verb}")


if __name__ == "__main__":
    main(sys.argv)
