//! Criterion benches: framing, each parser family on its own input, and the
//! whole scan (bytes in, records out) per input kind. Throughput in bytes.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use exitscan::frame::frame;
use exitscan::parse::describe::Describe;
use exitscan::parse::doc::{Doc, Syntax};
use exitscan::parse::{containerd, docker, hits, kubelet};
use exitscan::scan::{scan_bytes, ScanConfig};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

/// About `size` bytes of `unit` repeated.
fn repeat(unit: &[u8], size: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(size + unit.len());
    while v.len() < size {
        v.extend_from_slice(unit);
    }
    v
}

fn cri_log() -> Vec<u8> {
    let mut unit = Vec::new();
    for i in 0..200 {
        unit.extend_from_slice(format!("2024-01-28T09:00:00.{i:09}Z stdout F {{\"level\":\"info\",\"msg\":\"request completed\",\"path\":\"/api/v1/orders/{i}\",\"status\":200,\"latency_ms\":12.5}}\n").as_bytes());
        unit.extend_from_slice(format!("2024-01-28T09:00:00.{i:09}Z stderr F 10.244.7.134 - - [28/Jan/2024:09:16:11 +0000] \"GET /healthz HTTP/1.1\" 200 2 \"-\" \"kube-probe/1.28\"\n").as_bytes());
    }
    unit.extend_from_slice(b"2024-01-28T09:00:01Z stdout F web-1 exited with code 137\n");
    repeat(&unit, 8 << 20)
}

fn bench_framing(c: &mut Criterion) {
    let cri =
        b"2024-01-28T09:05:11.123456789Z stderr F level=info msg=\"request completed\" path=/api status=200".to_vec();
    let dj = br#"{"log":"level=info msg=\"request completed\" path=/api status=200\n","stream":"stderr","time":"2024-01-28T09:05:11.123456789Z"}"#.to_vec();
    let journal =
        b"Jan 28 09:05:11 node-3 kubelet[2231]: I0128 09:05:11.123456    2231 kubelet.go:1] \"SyncLoop\"".to_vec();
    let mut g = c.benchmark_group("frame");
    for (name, line) in [("cri", &cri), ("docker-json", &dj), ("journal", &journal)] {
        g.throughput(Throughput::Bytes(line.len() as u64));
        g.bench_function(name, |b| b.iter(|| black_box(frame(black_box(line)))));
    }
    g.finish();
}

fn bench_line_parsers(c: &mut Criterion) {
    let pleg = br#"I0128 09:05:11.123456    2231 generic.go:334] "Generic (PLEG): container finished" podID="9c1e" containerID="4f2a9d1c7b3e" exitCode=137"#;
    let taskexit = br#"level=info msg="TaskExit event container_id:\"a828\" id:\"a828\" pid:12930 exit_status:137 exited_at:{seconds:1699250901 nanos:264293162}""#;
    let ps = b"a6bd1f7138e6   registry.local/web:1.0.6   \"/entrypoint.sh serve\"   2 hours ago   Exited (137) 3 minutes ago   web-1";
    let mut g = c.benchmark_group("line");
    g.throughput(Throughput::Bytes(pleg.len() as u64));
    g.bench_function("kubelet", |b| b.iter(|| black_box(kubelet::parse(black_box(pleg)))));
    g.throughput(Throughput::Bytes(taskexit.len() as u64));
    g.bench_function("containerd", |b| b.iter(|| black_box(containerd::parse(black_box(taskexit)))));
    g.throughput(Throughput::Bytes(ps.len() as u64));
    g.bench_function("docker-ps", |b| b.iter(|| black_box(docker::ps_row(black_box(ps)))));
    g.bench_function("prefilter-hits", |b| b.iter(|| black_box(hits(black_box(ps)))));
    g.finish();
}

fn bench_block_parsers(c: &mut Criterion) {
    let describe = fixture("lab-describe-exitscan-lab-pod.txt");
    let yaml = fixture("edge-pod-list.yaml");
    let mut g = c.benchmark_group("block");
    g.throughput(Throughput::Bytes(describe.len() as u64));
    g.bench_function("describe", |b| {
        b.iter(|| {
            let mut d = Describe::new();
            for (n, l) in describe.split(|&b| b == b'\n').enumerate() {
                d.feed(l, n as u64);
            }
            black_box(d.finish())
        })
    });
    g.throughput(Throughput::Bytes(yaml.len() as u64));
    g.bench_function("pod-yaml", |b| {
        b.iter(|| {
            let mut d = Doc::new(Syntax::Yaml);
            for (n, l) in yaml.split(|&b| b == b'\n').enumerate() {
                d.feed(l, n as u64);
            }
            black_box(d.finish())
        })
    });
    g.finish();
}

/// `kubectl describe pods -A` of a mostly healthy cluster: running pods,
/// and a crashed one every MiB or so.
fn healthy_describe() -> Vec<u8> {
    let crashed = fixture("lab-describe-exitscan-lab-pod.txt");
    let mut running = String::new();
    for i in 0..3 {
        running.push_str(&format!("  app-{i}:\n    Container ID:   containerd://{i:064}\n    Image:          registry.local/app:1.0\n    State:          Running\n      Started:      Wed, 25 Nov 2026 06:37:55 +0000\n    Ready:          True\n    Restart Count:  0\n    Environment:    <none>\n"));
    }
    let pod = format!("Name:         web-1\nNamespace:    default\nStatus:       Running\nContainers:\n{running}Conditions:\n  Type   Status\n  Ready  True\nEvents:       <none>\n\n");
    let mut unit = repeat(pod.as_bytes(), 1 << 20);
    unit.extend_from_slice(&crashed);
    repeat(&unit, 8 << 20)
}

/// `kubectl describe` printed by a CI job into its container log: every
/// line of the pod CRI-framed.
fn cri_framed_describe() -> Vec<u8> {
    let pod = fixture("lab-describe-exitscan-lab-pod.txt");
    let framed: Vec<u8> = pod
        .split_inclusive(|&b| b == b'\n')
        .flat_map(|l| [&b"2026-11-25T06:37:55.123456789Z stdout F "[..], l].concat())
        .collect();
    repeat(&framed, 8 << 20)
}

fn bench_scan(c: &mut Criterion) {
    let inputs = [
        ("cri", cri_log()),
        ("describe", repeat(&fixture("lab-describe-exitscan-lab-pod.txt"), 8 << 20)),
        ("describe-cri-framed", cri_framed_describe()),
        ("describe-mostly-healthy", healthy_describe()),
        ("mixed", repeat(&fixture("edge-mixed.txt"), 8 << 20)),
    ];
    let mut g = c.benchmark_group("scan");
    g.sample_size(10);
    for (name, data) in &inputs {
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(*name, |b| b.iter(|| black_box(scan_bytes("bench", data, ScanConfig::default()).items.len())));
    }
    g.finish();
}

criterion_group!(benches, bench_framing, bench_line_parsers, bench_block_parsers, bench_scan);
criterion_main!(benches);
