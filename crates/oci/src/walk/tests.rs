use std::io::Write;

use super::*;
use crate::media_type;

/// A tar entry to build test layers from.
enum T<'a> {
    File(&'a [u8], &'a [u8]),
    Dir(&'a [u8]),
    Sym(&'a [u8], &'a str),
    Hard(&'a [u8], &'a str),
}

fn header(name: &[u8], kind: tar::EntryType, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    // Write the name bytes directly: tar::Header::set_path refuses `..`, which tests need.
    let gnu = h.as_gnu_mut().unwrap();
    gnu.name[..name.len()].copy_from_slice(name);
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_cksum();
    h
}

fn tar_of(entries: &[T<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        match e {
            T::File(n, data) => b.append(&header(n, tar::EntryType::Regular, data.len() as u64), *data).unwrap(),
            T::Dir(n) => b.append(&header(n, tar::EntryType::Directory, 0), &[][..]).unwrap(),
            T::Sym(n, t) | T::Hard(n, t) => {
                let kind = if matches!(e, T::Sym(..)) { tar::EntryType::Symlink } else { tar::EntryType::Link };
                let mut h = header(n, kind, 0);
                h.set_link_name(t).unwrap();
                h.set_cksum();
                b.append(&h, &[][..]).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn layer(entries: &[T<'_>]) -> (Descriptor, Vec<u8>) {
    let blob = gz(&tar_of(entries));
    (Descriptor::for_bytes(media_type::OCI_LAYER_GZIP, &blob), blob)
}

#[derive(Default, Debug, Clone, PartialEq)]
struct Recorder {
    want_content: Vec<&'static str>,
    seen: Vec<(String, usize)>,
    contents: Vec<(String, Vec<u8>)>,
    deletions: Vec<(String, bool, usize)>,
    done: Vec<usize>,
}

impl LayerVisitor for Recorder {
    fn wants(&mut self, e: &Entry<'_>) -> Want {
        if self.want_content.contains(&e.path) { Want::Content } else { Want::Metadata }
    }
    fn visit(&mut self, e: &Entry<'_>, content: Option<&mut dyn Read>) -> Result<()> {
        self.seen.push((e.path.to_string(), e.layer.index));
        if let Some(r) = content {
            let mut v = Vec::new();
            r.read_to_end(&mut v).map_err(|e| Error::Visitor(e.to_string()))?;
            self.contents.push((e.path.to_string(), v));
        }
        Ok(())
    }
    fn deleted(&mut self, d: &Deletion<'_>) -> Result<()> {
        self.deletions.push((d.path.to_string(), d.opaque, d.removed));
        Ok(())
    }
    fn layer_done(&mut self, l: &LayerInfo) -> Result<()> {
        self.done.push(l.index);
        Ok(())
    }
}

/// Walk sequentially, and also in parallel (one recorder per layer, merged in layer order):
/// both must give the same view and the same recorded events, or fail alike.
fn walk(layers: Vec<(Descriptor, Vec<u8>)>, v: Recorder) -> Result<(Recorder, SquashedView)> {
    let parallel = walk_parallel(&layers, &v, Limits::default());
    let one_worker = walk_parallel_with(&layers, &v, Limits::default(), 1);
    assert_eq!(
        parallel.as_ref().map(|(r, v, _)| (r, v)).ok(),
        one_worker.as_ref().map(|(r, v, _)| (r, v)).ok(),
        "one worker and several disagree"
    );
    let sequential = walk_layers(v, layers.into_iter().map(|(d, b)| (d, std::io::Cursor::new(b))), Limits::default());
    match (&sequential, parallel) {
        (Ok((rec, view)), Ok((prec, pview, _))) => {
            assert_eq!(view, &pview, "parallel view differs");
            assert_eq!(rec, &prec, "parallel visitors saw something else");
        }
        (Err(e), Err(pe)) => {
            assert_eq!(std::mem::discriminant(e), std::mem::discriminant(&pe), "{e} vs {pe}")
        }
        (s, p) => panic!("sequential {:?} but parallel {:?}", s.as_ref().map(|_| ()), p.map(|_| ())),
    }
    sequential
}

/// The parallel walk with `template`'s wishes for every layer; the per-layer recorders merged.
fn walk_parallel(
    layers: &[(Descriptor, Vec<u8>)],
    template: &Recorder,
    limits: Limits,
) -> Result<(Recorder, SquashedView, WalkStats)> {
    walk_parallel_with(layers, template, limits, max_workers().max(2))
}

/// [`walk_parallel`] with `workers` layers read at once.
fn walk_parallel_with(
    layers: &[(Descriptor, Vec<u8>)],
    template: &Recorder,
    limits: Limits,
    workers: usize,
) -> Result<(Recorder, SquashedView, WalkStats)> {
    let descriptors: Vec<Descriptor> = layers.iter().map(|(d, _)| d.clone()).collect();
    let open = |d: &Descriptor| -> Result<std::io::Cursor<Vec<u8>>> {
        let (_, blob) = layers.iter().find(|(x, _)| x == d).ok_or_else(|| Error::NotFound(d.digest.to_string()))?;
        Ok(std::io::Cursor::new(blob.clone()))
    };
    let make = |_: &LayerInfo| Recorder { want_content: template.want_content.clone(), ..Recorder::default() };
    let (visitors, view, stats) = parallel::walk_layers_with_workers(&descriptors, make, open, limits, workers)?;
    let mut merged = Recorder { want_content: template.want_content.clone(), ..Recorder::default() };
    for r in visitors {
        merged.seen.extend(r.seen);
        merged.contents.extend(r.contents);
        merged.deletions.extend(r.deletions);
        merged.done.extend(r.done);
    }
    Ok((merged, view, stats))
}

#[test]
fn whiteouts_and_opaque_dirs_give_the_squashed_view() {
    let l0 = layer(&[
        T::Dir(b"etc/"),
        T::File(b"etc/secret", b"s"),
        T::File(b"etc/keep", b"k"),
        T::Dir(b"opt/app/"),
        T::File(b"opt/app/old.txt", b"old"),
        T::File(b"opt/app/sub/deep", b"d"),
        T::File(b"tmp/x/y", b"y"),
    ]);
    let l1 = layer(&[
        T::File(b"etc/.wh.secret", b""),
        T::File(b"opt/app/new.txt", b"new"),
        T::File(b"opt/app/.wh..wh..opq", b""),
        T::File(b".wh.tmp", b""),
        T::File(b"etc/keep", b"k2"),
    ]);
    let (rec, view) = walk(vec![l0, l1], Recorder::default()).unwrap();
    assert!(view.get("etc/secret").is_none());
    assert!(view.get("opt/app/old.txt").is_none());
    assert!(view.get("opt/app/sub/deep").is_none());
    assert!(view.get("opt/app").is_some(), "the opaque dir itself stays");
    assert!(view.is_current("opt/app/new.txt", 1), "same-layer entries survive the opaque marker");
    assert!(view.get("tmp/x/y").is_none());
    assert!(view.is_current("etc/keep", 1));
    assert!(!view.is_current("etc/keep", 0), "overwritten by the later layer");
    assert_eq!(view.layer_of("etc/keep").unwrap().index, 1);
    assert!(rec.deletions.contains(&("etc/secret".into(), false, 1)));
    assert!(rec.deletions.contains(&("opt/app".into(), true, 2)));
    assert!(rec.deletions.contains(&("tmp".into(), false, 1)));
    assert!(!rec.seen.iter().any(|(p, _)| p.contains(".wh.")), "whiteouts are not entries");
    assert_eq!(rec.done, vec![0, 1]);
}

#[test]
fn content_only_for_wanted_paths() {
    let l0 = layer(&[T::File(b"./etc/os-release", b"ID=debian\n"), T::File(b"big", &[1u8; 1000])]);
    let rec = Recorder { want_content: vec!["etc/os-release"], ..Recorder::default() };
    let (rec, view) = walk(vec![l0], rec).unwrap();
    assert_eq!(rec.contents, vec![("etc/os-release".to_string(), b"ID=debian\n".to_vec())]);
    assert_eq!(rec.seen.len(), 2);
    assert_eq!(view.get("big").unwrap().size, 1000);
}

#[test]
fn traversal_and_absolute_paths_stay_inside_the_image() {
    let l0 = layer(&[
        T::File(b"../../etc/passwd", b"root:x:0:0"),
        T::File(b"/etc/shadow", b"x"),
        T::File(b"a/./b/../c", b"c"),
        T::File(b"bad\xffname", b"u"),
    ]);
    let (_, view) = walk(vec![l0], Recorder::default()).unwrap();
    let paths: Vec<&str> = view.iter().map(|(p, _)| p).collect();
    assert_eq!(paths, vec!["a/c", "bad\u{fffd}name", "etc/passwd", "etc/shadow"]);
    assert_eq!(normalize_path(b"./"), "");
    assert_eq!(normalize_path(b"/../.."), "");
}

#[test]
fn links_are_recorded_and_symlink_loops_end() {
    let l0 = layer(&[
        T::File(b"usr/lib/os-release", b"ID=debian"),
        T::Sym(b"etc/os-release", "../usr/lib/os-release"),
        T::Sym(b"lib", "usr/lib"),
        T::Hard(b"usr/lib/hard", "./usr/lib/os-release"),
        T::Sym(b"loop/a", "b"),
        T::Sym(b"loop/b", "a"),
        T::Sym(b"abs", "/usr/lib/os-release"),
    ]);
    let (_, view) = walk(vec![l0], Recorder::default()).unwrap();
    assert_eq!(view.get("usr/lib/hard").unwrap().kind, EntryKind::Hardlink("usr/lib/os-release".into()));
    assert_eq!(view.resolve("etc/os-release").unwrap().0, "usr/lib/os-release");
    assert_eq!(view.resolve("lib/os-release").unwrap().0, "usr/lib/os-release");
    assert_eq!(view.resolve("abs").unwrap().0, "usr/lib/os-release");
    assert_eq!(view.resolve("usr/lib/hard").unwrap().0, "usr/lib/os-release");
    assert!(view.resolve("loop/a").is_none());
    assert!(view.resolve("nope").is_none());
}

#[test]
fn a_file_replacing_a_directory_drops_its_subtree() {
    let l0 = layer(&[T::File(b"d/x", b"1"), T::File(b"f", b"2")]);
    let l1 = layer(&[T::File(b"d", b"now a file"), T::File(b"f/inside", b"3")]);
    let (_, view) = walk(vec![l0, l1], Recorder::default()).unwrap();
    assert!(view.get("d/x").is_none());
    assert!(view.get("f").is_none());
    assert!(view.is_current("f/inside", 1));
}

#[test]
fn digest_mismatch_is_reported_even_after_entries_were_seen() {
    let (mut d, blob) = layer(&[T::File(b"a", b"1")]);
    d.digest = Digest::sha256_of(b"something else");
    let err = walk(vec![(d, blob)], Recorder::default()).unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
}

/// Bytes gzip cannot shrink, so a layer of them is big enough to be inflated ahead.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn large_layers_inflated_ahead_give_the_same_walk() {
    let big = noise(inflate_ahead::INFLATE_AHEAD_MIN as usize + 300_000);
    let (d1, b1) = layer(&[T::File(b"big.bin", &big), T::File(b"etc/os-release", b"ID=x\n"), T::File(b"gone", b"1")]);
    assert!(d1.size >= inflate_ahead::INFLATE_AHEAD_MIN, "the test layer must take the inflate-ahead path");
    let (d2, b2) = layer(&[T::File(b".wh.gone", b"")]);
    let rec = Recorder { want_content: vec!["etc/os-release", "big.bin"], ..Default::default() };
    let (rec, view) = walk(vec![(d1, b1), (d2, b2)], rec).unwrap();
    assert_eq!(rec.contents[0], ("big.bin".to_string(), big));
    assert_eq!(rec.contents[1], ("etc/os-release".to_string(), b"ID=x\n".to_vec()));
    assert!(view.is_current("etc/os-release", 0) && !view.is_current("gone", 0));
}

#[test]
fn large_layers_inflated_ahead_still_fail_on_bad_bytes() {
    let big = noise(inflate_ahead::INFLATE_AHEAD_MIN as usize + 300_000);
    // A wrong digest: found at the end of the layer, after its entries were shown.
    let (mut d, blob) = layer(&[T::File(b"big.bin", &big)]);
    d.digest = Digest::sha256_of(b"something else");
    let err = walk(vec![(d, blob)], Recorder::default()).unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    // A gzip stream cut short (descriptor matching the cut bytes): corrupt, never a short layer.
    let (_, blob) = layer(&[T::File(b"big.bin", &big)]);
    let cut = blob[..blob.len() - 4096].to_vec();
    let d = Descriptor::for_bytes(media_type::OCI_LAYER_GZIP, &cut);
    let err = walk(vec![(d, cut)], Recorder::default()).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    // A visitor error stops the walk while the inflate thread is still going.
    let (d, blob) = layer(&[T::File(b"a", b"1"), T::File(b"big.bin", &big)]);
    let err = walk_layers(Failing, vec![(d, std::io::Cursor::new(blob))], Limits::default()).map(|_| ()).unwrap_err();
    assert!(matches!(err, Error::Visitor(_)), "{err}");
}

struct Failing;

impl LayerVisitor for Failing {
    fn wants(&mut self, _e: &Entry<'_>) -> Want {
        Want::Metadata
    }
    fn visit(&mut self, _e: &Entry<'_>, _content: Option<&mut dyn Read>) -> Result<()> {
        Err(Error::Visitor("stop here".into()))
    }
}

#[test]
fn truncated_layers_are_typed_errors() {
    // A valid gzip of a tar cut off inside the file data (like umoci insert's bug).
    let tar = tar_of(&[T::File(b"var/lib/dpkg/status", &[b'x'; 2000])]);
    let cut = gz(&tar[..512 + 571]);
    let d = Descriptor::for_bytes(media_type::OCI_LAYER_GZIP, &cut);
    let err = walk(vec![(d, cut)], Recorder::default()).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    // A gzip stream cut in half, with a descriptor matching the cut bytes.
    let full = gz(&tar);
    let half = full[..full.len() / 2].to_vec();
    let d = Descriptor::for_bytes(media_type::OCI_LAYER_GZIP, &half);
    let err = walk(vec![(d, half)], Recorder::default()).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    // A blob shorter than its descriptor.
    let (d, blob) = layer(&[T::File(b"a", b"1")]);
    let short = blob[..blob.len() - 3].to_vec();
    let err = walk(vec![(d, short)], Recorder::default()).unwrap_err();
    assert!(matches!(err, Error::SizeMismatch { .. }), "{err}");
}

#[test]
fn unknown_media_type_is_refused() {
    let (mut d, blob) = layer(&[T::File(b"a", b"1")]);
    d.media_type = "application/vnd.example.layer.v1.tar+lz4".into();
    let err = walk(vec![(d, blob)], Recorder::default()).unwrap_err();
    assert!(matches!(err, Error::UnsupportedMediaType(_)), "{err}");
}

#[test]
fn plain_and_zstd_layers() {
    let tar = tar_of(&[T::File(b"z", b"zz")]);
    let zs = zstd::encode_all(&tar[..], 3).unwrap();
    let l0 = (Descriptor::for_bytes(media_type::OCI_LAYER_TAR, &tar), tar.clone());
    let l1 = (Descriptor::for_bytes(media_type::OCI_LAYER_ZSTD, &zs), zs);
    let (_, view) = walk(vec![l0, l1], Recorder::default()).unwrap();
    assert!(view.is_current("z", 1));
}

#[test]
fn limits_are_enforced() {
    let walk_with = |limits: Limits, entries: &[T<'_>], want: Vec<&'static str>| {
        let (d, b) = layer(entries);
        let rec = Recorder { want_content: want, ..Recorder::default() };
        let parallel = walk_parallel(&[(d.clone(), b.clone())], &rec, limits).map(|_| ());
        let sequential = walk_layers(rec, [(d, std::io::Cursor::new(b))], limits).map(|_| ());
        assert_eq!(sequential.is_ok(), parallel.is_ok(), "{sequential:?} vs {parallel:?}");
        sequential
    };
    let many: Vec<T<'_>> = vec![T::File(b"a", b""), T::File(b"b", b""), T::File(b"c", b"")];
    let l = Limits { max_entries: 2, ..Limits::default() };
    assert!(matches!(walk_with(l, &many, vec![]), Err(Error::LimitExceeded { .. })));
    let l = Limits { max_path_len: 3, ..Limits::default() };
    assert!(matches!(walk_with(l, &[T::File(b"long/path", b"")], vec![]), Err(Error::LimitExceeded { .. })));
    let l = Limits { max_file_read: 4, ..Limits::default() };
    assert!(matches!(walk_with(l, &[T::File(b"f", b"12345")], vec!["f"]), Err(Error::LimitExceeded { .. })));
    assert!(walk_with(l, &[T::File(b"f", b"12345")], vec![]).is_ok(), "unread large files are fine");
    let l = Limits { max_layer_compressed: 10, ..Limits::default() };
    assert!(matches!(walk_with(l, &many, vec![]), Err(Error::LimitExceeded { .. })));
}

#[test]
fn visitor_errors_stop_the_walk() {
    #[derive(Debug)]
    struct Fail;
    impl LayerVisitor for Fail {
        fn wants(&mut self, _: &Entry<'_>) -> Want {
            Want::Metadata
        }
        fn visit(&mut self, _: &Entry<'_>, _: Option<&mut dyn Read>) -> Result<()> {
            Err(Error::Visitor("stop".into()))
        }
    }
    let (d, b) = layer(&[T::File(b"a", b"1")]);
    assert!(matches!(walk_layers(Fail, [(d, &b[..])], Limits::default()), Err(Error::Visitor(_))));
}

#[test]
fn entries_under_a_symlinked_directory_land_in_its_target() {
    let l0 = layer(&[T::Dir(b"x/"), T::File(b"x/old", b"o"), T::Sym(b"a", "x"), T::Sym(b"abs", "/x/sub")]);
    let l1 = layer(&[
        T::File(b"a/b/file", b"new"),
        T::File(b"abs/f", b"1"),
        T::File(b"a/.wh.old", b""),
        T::Hard(b"h", "a/b/file"),
    ]);
    let rec = Recorder { want_content: vec!["x/b/file"], ..Recorder::default() };
    let (rec, view) = walk(vec![l0, l1], rec).unwrap();
    assert!(view.is_current("x/b/file", 1), "{:?}", view.iter().map(|(p, _)| p).collect::<Vec<_>>());
    assert!(view.get("a/b/file").is_none(), "never at the literal path");
    assert_eq!(view.get("a").unwrap().kind, EntryKind::Symlink("x".into()), "the link stays a link");
    assert!(view.is_current("x/sub/f", 1), "absolute targets start at the image root");
    assert!(view.get("x/old").is_none(), "whiteouts are redirected too");
    assert!(rec.deletions.contains(&("x/old".into(), false, 1)));
    assert_eq!(view.get("h").unwrap().kind, EntryKind::Hardlink("x/b/file".into()));
    assert_eq!(rec.contents, vec![("x/b/file".to_string(), b"new".to_vec())], "visitors see the real path");
    assert_eq!(view.resolve("a/b/file").unwrap().0, "x/b/file", "both spellings resolve");
}

/// Layer 0 holds the symlinks `links`, layer 1 a file at each of `writes`: where the files
/// land in the squashed view (paths written by layer 1, sorted), and the view.
fn landing(links: &[(&str, &str)], writes: &[&str]) -> (Vec<String>, SquashedView) {
    let l0: Vec<T<'_>> = links.iter().map(|(n, t)| T::Sym(n.as_bytes(), t)).collect();
    let l1: Vec<T<'_>> = writes.iter().map(|n| T::File(n.as_bytes(), b"x")).collect();
    let (_, view) = walk(vec![layer(&l0), layer(&l1)], Recorder::default()).unwrap();
    let landed = view.iter().filter(|(_, e)| e.layer == 1).map(|(p, _)| p.to_string()).collect();
    (landed, view)
}

#[test]
fn chained_and_relative_parent_links() {
    // usr-merge style: bin -> usr/bin, usr/bin -> ../opt/bin (relative to usr/), lib -> ./usr/lib
    let links = [("bin", "usr/bin"), ("usr/bin", "../opt/bin"), ("lib", "./usr/lib"), ("usr/lib/self", ".")];
    let (landed, _) = landing(&links, &["bin/tool", "lib/self/self/libc.so"]);
    assert_eq!(landed, ["opt/bin/tool", "usr/lib/libc.so"]);
}

#[test]
fn hostile_parent_links_never_escape_and_loops_end() {
    let links = [
        ("up", "../../../.."),
        ("escape", "/../../etc"),
        ("loop1", "loop2"),
        ("loop2", "loop1"),
        ("self", "self/x"),
        ("deep", "d/../../../../d2"),
    ];
    let writes = ["up/etc/passwd", "escape/shadow", "loop1/f", "self/g", "deep/h"];
    let (landed, view) = landing(&links, &writes);
    // `..` is clamped at the image root; loops (more than MAX_LINK_HOPS links) keep the
    // literal spelling, so nothing is lost.
    assert_eq!(landed, ["d2/h", "etc/passwd", "etc/shadow", "loop1/f", "self/g"]);
    assert!(view.resolve_dir("loop1").is_none());
    assert!(view.iter().all(|(p, _)| !p.starts_with("..") && !p.starts_with('/')));
}

#[test]
fn long_link_chains_are_bounded() {
    // 60 links in a chain: more than MAX_LINK_HOPS, so the literal path is kept.
    let names: Vec<String> = (0..60).map(|i| format!("l{i}")).collect();
    let mut entries: Vec<T<'_>> = (0..59).map(|i| T::Sym(names[i].as_bytes(), names[i + 1].as_str())).collect();
    entries.push(T::Sym(names[59].as_bytes(), "real"));
    let l0 = layer(&entries);
    let l1 = layer(&[T::File(b"l0/f", b"x"), T::File(b"l30/f", b"y")]);
    let (_, view) = walk(vec![l0, l1], Recorder::default()).unwrap();
    assert!(view.is_current("l0/f", 1), "60 hops: literal");
    assert!(view.is_current("real/f", 1), "30 hops: resolved");
}

#[test]
fn the_parallel_walk_rereads_only_layers_moved_by_symlinked_parents() {
    let l0 = layer(&[T::Dir(b"usr/lib/"), T::Sym(b"lib", "usr/lib"), T::File(b"etc/a", b"a")]);
    let l1 = layer(&[T::File(b"usr/lib/libz.so", b"z"), T::File(b"etc/b", b"b")]);
    let l2 = layer(&[T::File(b"lib/libc.so", b"c"), T::File(b"etc/.wh.a", b"")]);
    let layers = vec![l0, l1, l2];
    let rec = Recorder { want_content: vec!["usr/lib/libc.so", "lib/libc.so"], ..Recorder::default() };
    let (prec, view, stats) = walk_parallel(&layers, &rec, Limits::default()).unwrap();
    assert_eq!(stats.reread_layers, vec![2], "only the layer writing through `lib` is read again");
    assert!(view.is_current("usr/lib/libc.so", 2));
    assert_eq!(prec.contents, vec![("usr/lib/libc.so".to_string(), b"c".to_vec())], "never the literal spelling");
    assert!(prec.deletions.contains(&("etc/a".into(), false, 1)));
    let (seq, _) = walk(layers, rec).unwrap();
    assert_eq!(seq, prec);
}

#[test]
fn the_parallel_walk_equals_the_sequential_one_with_more_layers_than_workers() {
    let owned: Vec<Vec<(Vec<u8>, Vec<u8>)>> = (0..9)
        .map(|i| {
            let mut files = vec![(format!("l{i}/file").into_bytes(), noise(1000 * (i + 1)))];
            files.push((b"shared/overwritten".to_vec(), format!("{i}").into_bytes()));
            if i > 0 {
                files.push((format!("l{}/.wh.file", i - 1).into_bytes(), Vec::new()));
            }
            files
        })
        .collect();
    let layers: Vec<(Descriptor, Vec<u8>)> =
        owned.iter().map(|files| layer(&files.iter().map(|(n, d)| T::File(n, d)).collect::<Vec<_>>())).collect();
    let rec = Recorder { want_content: vec!["shared/overwritten", "l8/file"], ..Recorder::default() };
    let (rec, view) = walk(layers, rec).unwrap();
    assert!(view.is_current("shared/overwritten", 8));
    assert_eq!(view.iter().filter(|(p, _)| p.ends_with("/file")).count(), 1, "each layer deleted the one below");
    assert_eq!(rec.done, (0..9).collect::<Vec<_>>());
}

#[test]
fn the_parallel_walk_reports_a_bad_later_layer_and_counts_entries_across_layers() {
    let big = noise(6 * 1024 * 1024);
    let (d0, b0) = layer(&[T::File(b"big", &big)]);
    let (d1, mut b1) = layer(&[T::File(b"small", b"1")]);
    let n = b1.len();
    b1[n - 9] ^= 1; // the gzip trailer: a digest mismatch
    let err = walk_parallel(&[(d0.clone(), b0.clone()), (d1, b1)], &Recorder::default(), Limits::default())
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    let (d2, b2) = layer(&[T::File(b"a", b""), T::File(b"b", b"")]);
    let limits = Limits { max_entries: 2, ..Limits::default() };
    let err = walk_parallel(&[(d0, b0), (d2, b2)], &Recorder::default(), limits).map(|_| ()).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { .. }), "3 entries in two layers: {err}");
}
