#!/usr/bin/env bash
# A compressed volume for the benchmark's warehouse, for a size whose database does not fit on
# the disk as it is (10 000 000 persons need about 130 GB of database at the peak; see README,
# "Performance"). Mounts a sparse file as btrfs with zstd compression at .bench/warehouse, where
# `member-migration bench` puts its embedded server; `discard=async` gives the space of dropped
# tables back to the disk. Needs root, a kernel with btrfs and loop devices, and Debian's
# btrfs-progs (btrfs-compsize for `status`). Usage:
#   sudo scripts/bench_volume.sh mount [SIZE]   # default 400G (sparse: only what is written)
#   member-migration bench --persons 10000000 --no-disk-check
#   sudo scripts/bench_volume.sh trim &         # while it runs: fstrim every minute
#   sudo scripts/bench_volume.sh status         # bytes written against bytes on disk
#   sudo scripts/bench_volume.sh unmount        # unmounts and deletes the volume's file
# The timings on it include the compression (zstd level 1, in the kernel, on the same cores):
# say so next to any figure measured on it. Two things learnt on the first 10M run: btrfs does not
# compress what is written into preallocated extents, and PostgreSQL 16+ extends its tables with
# posix_fallocate, so the bench has its server write zeros instead (file_extend_method, PG 18;
# src/member_migration/bench/server.py); and the asynchronous discard lags behind a build that
# drops and rewrites tables (the file held 33 GB for 23 GB used), so `trim` runs fstrim each minute.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mountpoint="$root/.bench/warehouse"
image=${BENCH_VOLUME_IMAGE:-"$root/../bench-volume.img"}
command=${1:-}

case "$command" in
mount)
    size=${2:-400G}
    if mountpoint -q "$mountpoint"; then
        echo "error: $mountpoint is already a mount point; 'unmount' it first." >&2
        exit 1
    fi
    if [ -e "$image" ]; then
        echo "error: $image exists; delete it or set BENCH_VOLUME_IMAGE to another path." >&2
        exit 1
    fi
    command -v mkfs.btrfs >/dev/null || {
        echo "error: mkfs.btrfs not found; install Debian's btrfs-progs." >&2
        exit 1
    }
    truncate -s "$size" "$image"
    mkfs.btrfs -q -f "$image"
    mkdir -p "$mountpoint"
    mount -o loop,compress-force=zstd:1,noatime,discard=async "$image" "$mountpoint"
    echo "mounted $image ($size, sparse) at $mountpoint with zstd compression"
    ;;
trim)
    while mountpoint -q "$mountpoint"; do
        fstrim "$mountpoint"
        sleep 60
    done
    ;;
status)
    df -h "$mountpoint"
    compsize -x "$mountpoint"
    du -h --apparent-size "$image" | sed 's/^/file size (apparent): /'
    du -h "$image" | sed 's/^/file size (on disk):  /'
    ;;
unmount)
    umount "$mountpoint"
    rm -f "$image"
    echo "unmounted $mountpoint and deleted $image"
    ;;
*)
    echo "usage: $0 mount [SIZE] | trim | status | unmount" >&2
    exit 2
    ;;
esac
