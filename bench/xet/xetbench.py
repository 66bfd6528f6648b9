#!/usr/bin/env python3
"""Client side of bench/xet/run.sh. Each sub-command runs in its own process (fresh hf_xet session);
HF_HOME / HF_ENDPOINT / HF_TOKEN come from the environment. Prints one JSON line.

  up HUB REPO FILE            time one hf_xet upload commit (XetSession.new_upload_commit) of FILE
  down HUB REPO HASH SIZE OUT SHA256   time one hf_xet download (new_file_download_group), then check sha256
  upload_file REPO FILE NAME  time HfApi.upload_file end to end (Xet unless HF_HUB_DISABLE_XET=1)
  create_repo REPO
  finetunes BASE N FRAC SEED OUTPREFIX  write N copies of BASE with FRAC of 64 KiB regions randomized
"""
import hashlib, json, os, random, sys, time


def hdrs():
    return {"Authorization": f"Bearer {os.environ['HF_TOKEN']}"}


def sha256_file(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        while b := f.read(8 << 20):
            h.update(b)
    return h.hexdigest()


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "up":
        import hf_xet
        hub, repo, path = a
        s = hf_xet.XetSession()
        t0 = time.perf_counter()
        with s.new_upload_commit(token_refresh_url=f"{hub}/api/models/{repo}/xet-write-token/main",
                                 token_refresh_headers=hdrs()) as c:
            h = c.start_upload_file(path, sha256=hf_xet.COMPUTE_SHA256)
        dt = time.perf_counter() - t0
        info = h.result().xet_info
        print(json.dumps({"seconds": dt, "hash": info.hash, "sha256": info.sha256, "size": os.path.getsize(path)}))
    elif cmd == "down":
        import hf_xet
        hub, repo, fh, size, out, sha = a
        s = hf_xet.XetSession()
        t0 = time.perf_counter()
        with s.new_file_download_group(token_refresh_url=f"{hub}/api/models/{repo}/xet-read-token/main",
                                       token_refresh_headers=hdrs()) as g:
            g.start_download_file(hf_xet.XetFileInfo(fh, int(size)), out)
        dt = time.perf_counter() - t0
        got = sha256_file(out)
        print(json.dumps({"seconds": dt, "sha_ok": got == sha, "size": os.path.getsize(out)}))
    elif cmd == "upload_file":
        from huggingface_hub import HfApi
        repo, path, name = a
        t0 = time.perf_counter()
        HfApi().upload_file(path_or_fileobj=path, path_in_repo=name, repo_id=repo)
        print(json.dumps({"seconds": time.perf_counter() - t0}))
    elif cmd == "create_repo":
        from huggingface_hub import HfApi
        HfApi().create_repo(a[0], exist_ok=True)
        print(json.dumps({"ok": True}))
    elif cmd == "finetunes":
        base, n, frac, seed, prefix = a[0], int(a[1]), float(a[2]), int(a[3]), a[4]
        data = open(base, "rb").read()
        R = 64 * 1024
        nreg = (len(data) + R - 1) // R
        rng = random.Random(seed)
        for i in range(n):
            buf = bytearray(data)
            for r in rng.sample(range(nreg), round(nreg * frac)):
                end = min(len(buf), (r + 1) * R)
                buf[r * R:end] = os.urandom(end - r * R)
            with open(f"{prefix}{i + 1}.bin", "wb") as f:
                f.write(buf)
        print(json.dumps({"regions": nreg, "changed_per_copy": round(nreg * frac)}))
    else:
        sys.exit(f"unknown command {cmd}")


main()
