#!/usr/bin/env bash
# The whole SDK on emulated aarch64: cross-builds the aarch64 wheel from the sdist, installs
# it with its aarch64 dependencies from PyPI next to Debian's arm64 Python, and runs under
# qemu-aarch64 the build report, the Raspberry Pi examples, `nudeguard check/hash/blur/veil/
# bench` and a smoke subset of the tests. The same commands run on x86-64 with the x86-64
# wheel, and .ci/aarch64_compare.py judges: NEON is the kernel set in use, scores are within
# 0.01 of x86's with the same decisions, PDQ hashes and blur/veil bytes are identical, exit
# statuses and stderr are x86's (nothing at all on stderr for what runs only emulated).
#
#   .ci/aarch64_sdk.sh SDIST X86_PYTHON
#
# SDIST: the source distribution (python -m build); X86_PYTHON: the interpreter of a venv
# holding the x86-64 wheel built from it. Needs g++-aarch64-linux-gnu and qemu-user (.ci/run's
# system packages), and root for dpkg --add-architecture arm64 and apt-get update the first
# time. Everything fetched or built stays in build/aarch64-sdk/: Debian's arm64
# packages are downloaded and unpacked there (dpkg -x; nothing is installed for arm64), PyPI's
# aarch64 wheels are installed there with pip --platform, and pip's cache is there too.
set -euo pipefail
cd "$(dirname "$0")/.."
sdist=$(realpath "$1")
x86_python=$2
x86_scripts=$(dirname "$x86_python")

work=$PWD/build/aarch64-sdk
sysroot=$work/sysroot   # Debian's arm64 Python and the libraries it and the wheels load
site=$work/site         # the aarch64 wheel and its dependencies (pip install --target)
out=$work/out           # each command's stdout, stderr and exit status, for the judge
export PIP_CACHE_DIR=$work/pip-cache
rm -rf "$sysroot" "$site" "$work/dist" "$out"
mkdir -p "$work/debs" "$out"

# Debian 12's Python 3.11 (Raspberry Pi OS Bookworm has the same) and the shared libraries
# that it, LiteRT, NumPy, OpenCV and nudeguard's extension load.
ARM64_PACKAGES=(python3.11-minimal libpython3.11-minimal libpython3.11-stdlib libpython3.11-dev
                libc6 libgcc-s1 libstdc++6 zlib1g libexpat1 libssl3 libffi8 libbz2-1.0 liblzma5 libuuid1)
# The emulated board: a Raspberry Pi 5's Cortex-A76 (ARMv8.2: NEON, dot product), as qemu's CPU
# model and as the /proc/cpuinfo fields the CPU detection inside LiteRT reads.
QEMU_CPU=cortex-a76
CPUINFO_PART=0xd0b CPUINFO_VARIANT=0x4 CPUINFO_REVISION=1
CPUINFO_FEATURES="fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp"
# The smoke subset of the tests run emulated: classification with one and two threads,
# verdicts, blur, PDQ, fail closed, the C library and the wheel's contents (scores: `check`
# below, on every fixture). Tests that start a Python
# subprocess are left out: the emulated interpreter cannot exec itself without binfmt_misc.
SMOKE_TESTS=(
    tests/test_packaging.py
    tests/test_classify.py::test_one_and_two_threads_agree
    tests/test_verdicts.py::test_sensitive_outgoing_image_asks_a_teen_to_confirm
    tests/test_verdicts.py::test_incoming_sensitive_image_is_veiled_at_the_preview_size
    tests/test_verdicts.py::test_benign_incoming_image_is_shown
    tests/test_verdicts.py::test_undecodable_incoming_image_is_veiled_for_a_teen_with_the_error
    tests/test_verdicts.py::test_a_damaged_model_gives_a_guard_that_fails_closed
    tests/test_blur.py::test_simd_blur_is_bit_exact_with_the_scalar_reference
    tests/test_blur.py::test_simd_blur_on_a_photo_is_bit_exact_with_the_scalar_reference
    "tests/test_blur.py::test_result_does_not_depend_on_the_thread_count[neon]"
    tests/test_hashing.py::test_every_pdq_kernel_set_matches_the_scalar_reference
    tests/test_hashing.py::test_dihedral_variants_predict_the_hashes_of_rotated_and_flipped_images
    tests/test_hashing.py::test_fingerprint_of_a_file_has_pdq_and_the_digests_of_its_exact_bytes
    tests/test_hashing.py::test_hash_list_load_keeps_a_large_list_exact
    tests/test_fail_closed.py::test_protected_user_is_asked_and_veiled_with_the_model_error
    tests/test_fail_closed.py::test_classify_and_scan_raise_the_model_error
    tests/test_fail_closed.py::test_async_checks_fail_closed_too
    tests/test_c_abi.py::test_version_and_isa_match_the_python_module
    tests/test_c_abi.py::test_results_equal_the_python_module_bit_for_bit
)

# Wall time of each phase and command, printed at the end (the lanes below run in subshells).
timings=$out/timings
phase_start=$SECONDS
phase_done() { echo "$1 $((SECONDS - phase_start)) s" >> "$timings"; phase_start=$SECONDS; }

# --- Debian's arm64 Python in a sysroot
dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
apt-cache show libc6:arm64 > /dev/null 2>&1 || apt-get update -q
download() { (cd "$work/debs" && rm -f ./*.deb && apt-get download -qq -o APT::Sandbox::User=root "${ARM64_PACKAGES[@]/%/:arm64}"); }
download || { apt-get update -q && download; }   # package lists older than the mirror
for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$sysroot"; done
# qemu 7.2 shows the guest the host's x86 /proc/cpuinfo, on which the CPU detection inside
# LiteRT >= 2.2 (cpuinfo_arm_linux_init) crashes; qemu's -L prefix serves the board's instead.
mkdir -p "$sysroot/proc"
for ((cpu = 0; cpu < $(nproc); cpu++)); do
    printf 'processor\t: %d\nBogoMIPS\t: 108.00\nFeatures\t: %s\nCPU implementer\t: 0x41\n' "$cpu" "$CPUINFO_FEATURES"
    printf 'CPU architecture: 8\nCPU variant\t: %s\nCPU part\t: %s\nCPU revision\t: %s\n\n' \
        "$CPUINFO_VARIANT" "$CPUINFO_PART" "$CPUINFO_REVISION"
done > "$sysroot/proc/cpuinfo"
phase_done "sysroot (apt-get download and dpkg -x)"

# --- The aarch64 wheel, cross-built from the sdist: Debian's aarch64 g++ and the arm64
# Python headers; _PYTHON_HOST_PLATFORM names the target for setup.py and the wheel's tag.
python_include=$sysroot/usr/include/python3.11
test -f "$python_include/Python.h"
env _PYTHON_HOST_PLATFORM=linux-aarch64 SETUPTOOLS_EXT_SUFFIX=.cpython-311-aarch64-linux-gnu.so \
    CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LDSHARED="aarch64-linux-gnu-g++ -shared" \
    CPPFLAGS="-I$python_include -I$sysroot/usr/include" \
    "$x86_python" -m pip wheel -q --no-cache-dir --no-deps --wheel-dir "$work/dist" "$sdist"
wheel=$(echo "$work"/dist/nudeguard-*-cp311-cp311-linux_aarch64.whl)
phase_done "cross build"

# --- The wheel and its dependencies for Python 3.11 on aarch64: every manylinux the
# sysroot's glibc runs (pip on the board accepts the same), and the wheel's own linux tag.
glibc_minor=$(dpkg-deb -f "$(echo "$work"/debs/libc6_*.deb)" Version | sed -E 's/^2\.([0-9]+).*/\1/')
platforms=(--platform linux_aarch64)
for ((minor = 17; minor <= glibc_minor; minor++)); do platforms+=(--platform "manylinux_2_${minor}_aarch64"); done
"$x86_python" -m pip install -q --target "$site" "${platforms[@]}" --only-binary=:all: \
    --python-version 3.11 --implementation cp --abi cp311 "$wheel" "pytest>=8"
# What the board must provide: the newest glibc and libstdc++ symbol versions the module uses.
needs=$(aarch64-linux-gnu-objdump -T "$site"/nudeguard/_native.*.so | grep -oE 'GLIBC(XX)?_[0-9.]+' | sort -uV |
        awk -F_ '{newest[$1] = $0} END {print newest["GLIBC"] " and " newest["GLIBCXX"]}')
echo "$(basename "$wheel"): $(($(stat -c %s "$wheel") / 1024)) KiB, needs $needs"
# A Pi 5's kernel has 16 KB pages, qemu-user the host's 4 KB: a library whose segments are
# aligned to less than 16 KB loads here and fails there.
misaligned=()
while read -r library align; do
    ((align >= 0x4000)) || misaligned+=("$library")
done < <(find "$site" -name '*.so*' -type f -print0 | xargs -0 readelf -lW |
         awk '/^File: / {library = $2} $1 == "LOAD" {print library, $NF}')
if [ "${#misaligned[@]}" -gt 0 ]; then
    echo "aarch64: segments aligned to less than 16 KB in:" >&2
    printf '  %s\n' "${misaligned[@]}" | sort -u >&2
    exit 1
fi
phase_done "aarch64 wheels from PyPI"

# --- The commands, on x86-64 and emulated: run MACHINE NAME ARGS... gives that machine's
# Python ARGS (a first ARG `nudeguard`: the command pip installed for it) and saves
# NAME.MACHINE.{out,err,status}.
declare -A CLI=([x86]=$x86_scripts/nudeguard [arm]=$site/bin/nudeguard)
run() {
    local machine=$1 name=$2 status=0 start=$SECONDS
    shift 2
    [ "$1" != nudeguard ] || set -- "${CLI[$machine]}" "${@:2}"
    if [ "$machine" = x86 ]; then
        timeout 600 "$x86_python" "$@" > "$out/$name.x86.out" 2> "$out/$name.x86.err" || status=$?
    else
        # Byte code is cached in the sysroot and site: Debian compiles the standard library
        # when it installs it, which dpkg -x does not do.
        env -u PYTHONDONTWRITEBYTECODE PYTHONPATH="$site" PYTHONNOUSERSITE=1 \
            timeout 900 qemu-aarch64 -cpu "$QEMU_CPU" -L "$sysroot" "$sysroot/usr/bin/python3.11" "$@" \
            > "$out/$name.arm.out" 2> "$out/$name.arm.err" || status=$?
    fi
    echo "$status" > "$out/$name.$machine.status"
    echo "  $machine $name $((SECONDS - start)) s" >> "$timings"
}

FIXTURES=(tests/fixtures/benign/*.jpg tests/fixtures/synthetic_sensitive*.png examples/sample.jpg)
"$x86_python" .ci/aarch64_compare.py clip "$out/camera.avi"
for machine in x86 arm; do
    mkdir -p "$out/watch-$machine"
    cp tests/fixtures/benign/coffee.jpg "$out/watch-$machine/IMG_0001.jpg"
    cp tests/fixtures/synthetic_sensitive.png "$out/watch-$machine/IMG_0002.png"
done
# Each command as a user runs it; the emulated ones in two lanes, one per core, of about the
# same length (measured emulated: check 330 s, camera 170 s, watch 55 s, the smoke tests 185 s).
commands() {
    local machine=$1
    run "$machine" check nudeguard check --json "${FIXTURES[@]}"
    run "$machine" hash nudeguard hash "${FIXTURES[@]}"
    run "$machine" blur nudeguard blur examples/sample.jpg "$out/blur.$machine.ppm"
    run "$machine" veil nudeguard veil tests/fixtures/synthetic_sensitive.png "$out/veil.$machine.ppm" --size 480
    run "$machine" watch examples/pi/watch_folder.py "$out/watch-$machine" --once
}
camera() {
    run "$1" camera examples/pi/camera_check.py --source "$out/camera.avi" --no-window --json
}
commands x86
camera x86
phase_done "x86-64 runs"
(
    # No skip is allowed here (tests/conftest.py checks; tests/skips_allowed.txt lists none).
    export NUDEGUARD_CI_JOB=aarch64
    run arm pytest -m pytest -q -p no:cacheprovider "${SMOKE_TESTS[@]}"
    # The 640x480 shape: the report's facts (the kernel set) are what is judged, and the default
    # 12 MP shape took 7 minutes emulated.
    run arm bench nudeguard bench --seconds 2 --shape camera --json
    camera arm
) &
tests_lane=$!
run arm report -m nudeguard info
commands arm
wait "$tests_lane"
phase_done "emulated runs"

cat "$out/pytest.arm.out"
status=0
"$x86_python" .ci/aarch64_compare.py judge "$out" || status=$?
echo "wall time (under load from whatever else runs on this machine):"
sed 's/^/  /' "$timings"
exit "$status"
