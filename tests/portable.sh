#!/usr/bin/env bash
# make test-portable: nbval over every notebook (chapters, exercises, solutions) once per CPU
# setting the saved outputs must hold on, so one machine stands in for many. TensorFlow's oneDNN
# kernels are chosen by CPU (AVX2, AVX-512, AMX ...) and round differently in the last bits;
# ONEDNN_MAX_CPU_ISA caps the choice, TF_ENABLE_ONEDNN_OPTS=0 swaps in TensorFlow's own kernels
# (what ARM machines get). Settings the CPU cannot run (AVX-512 on an AVX2 machine) are skipped,
# and said so. PORTABLE_SKIP_DEFAULT=1 leaves out the default setting (.ci/run: `make test` has
# just run it). Usage: tests/portable.sh PYTHON [pytest args...]
set -uo pipefail
python=$1; shift
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
settings=()
[ "${PORTABLE_SKIP_DEFAULT:-0}" = 1 ] || settings+=("default")
has() { [[ " $flags " == *" $1 "* ]]; }
if [ "$(uname -m)" = x86_64 ]; then
    if has avx512f || has avx_vnni || has amx_tile; then
        settings+=("ONEDNN_MAX_CPU_ISA=AVX2")
    else   # AVX2 is this CPU's best: the capped run would repeat the default one
        echo "test-portable: AVX2 is this CPU's own best ISA: ONEDNN_MAX_CPU_ISA=AVX2 is the default run"
    fi
    if has avx512f; then
        settings+=("ONEDNN_MAX_CPU_ISA=AVX512_CORE")
    else
        echo "test-portable: this CPU has no AVX-512: ONEDNN_MAX_CPU_ISA=AVX512_CORE not run here"
    fi
    settings+=("ONEDNN_MAX_CPU_ISA=AVX")   # the pre-AVX2 kernels: one more rounding on any x86 CPU
fi
settings+=("TF_ENABLE_ONEDNN_OPTS=0")

failed=()
for setting in "${settings[@]}"; do
    echo "=== test-portable: ${setting}"
    # Each setting alone: whatever the caller's shell had for either variable is cleared first.
    case $setting in
        default) set_env=() ;;
        TF_ENABLE_ONEDNN_OPTS=*) set_env=("$setting") ;;
        *) set_env=(TF_ENABLE_ONEDNN_OPTS=1 "$setting") ;;
    esac
    env -u ONEDNN_MAX_CPU_ISA -u TF_ENABLE_ONEDNN_OPTS "${set_env[@]}" "$python" -m pytest notebooks solutions "$@" \
        || failed+=("$setting")
done
echo "=== test-portable: ${#settings[@]} settings, ${#failed[@]} failed${failed:+: ${failed[*]}}"
[ ${#failed[@]} -eq 0 ]
