//! Licences from file text: a package's `LICENSE` / `COPYING` file compared with the SPDX texts
//! of a small set of common licences, for packages whose metadata names none.
//!
//! Matching is the `spdx` crate's detection (askalono's normalised-text bigram Dice score, the
//! engine cargo-deny uses) against a store of only the licences below, built once. A file is
//! reported only at a score of [`THRESHOLD`] or more, so a modified or unknown text gives
//! nothing rather than a near miss. The GPL texts do not say whether "or any later version"
//! applies (that is in the file notices), so a bare GPL text is reported as the `-only` id.

use std::sync::OnceLock;

use spdx::detection::{Store, TextData};

/// The licences recognised from text.
const CANDIDATES: &[&str] = &[
    "MIT",
    "Apache-2.0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "GPL-2.0-only",
    "GPL-3.0-only",
    "LGPL-2.1-only",
    "MPL-2.0",
];

/// Lowest Dice score accepted (askalono's own default confidence is 0.9 as well).
pub(crate) const THRESHOLD: f32 = 0.9;

/// Longest licence file looked at; the longest candidate text (GPL-3.0) is about 35 KB.
pub(crate) const MAX_TEXT: usize = 128 << 10;

fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let mut store = Store::new();
        for id in CANDIDATES {
            if let Some(lic) = spdx::license_id(id) {
                store.add_license((*id).to_string(), TextData::new(lic.text()));
            }
        }
        store
    })
}

/// The SPDX id of the licence whose full text `text` is, if it is one of the candidates.
pub(crate) fn detect(text: &[u8]) -> Option<&'static str> {
    if text.len() > MAX_TEXT || text.len() < 100 {
        return None;
    }
    let text = String::from_utf8_lossy(text);
    let m = store().analyze(&TextData::new(&text));
    if m.score < THRESHOLD {
        return None;
    }
    CANDIDATES.iter().find(|c| **c == m.name).copied()
}

/// Is this file name a licence file name (`LICENSE`, `LICENCE.md`, `COPYING.txt`, `LICENSE-MIT`)?
/// Called for every file of a walk, so it does not allocate.
pub(crate) fn is_license_name(name: &str) -> bool {
    let starts = |p: &str| name.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    let ends =
        |s: &str| name.len() >= s.len() && name.get(name.len() - s.len()..).is_some_and(|t| t.eq_ignore_ascii_case(s));
    (starts("LICENSE") || starts("LICENCE") || starts("COPYING")) && !ends(".js") && !ends(".py") && !ends(".json")
}

/// Does a cataloger want this licence file: the top level of an installed npm package
/// (`node_modules/[@scope/]pkg/LICENSE`) or of a Python `.dist-info` (and its PEP 639
/// `licenses/` folder)?
pub(crate) fn wants(path: &str) -> bool {
    let Some((dir, name)) = path.rsplit_once('/') else { return false };
    if !is_license_name(name) {
        return false;
    }
    if dir.ends_with(".dist-info") || dir.contains(".dist-info/licenses") {
        return true;
    }
    // node_modules/pkg or node_modules/@scope/pkg
    let Some((parent, _pkg)) = dir.rsplit_once('/') else { return false };
    parent.ends_with("node_modules")
        || parent.rsplit_once('/').is_some_and(|(gp, scope)| scope.starts_with('@') && gp.ends_with("node_modules"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_common_texts_with_their_copyright_lines() {
        for id in CANDIDATES {
            let text = spdx::license_id(id).expect("known").text();
            let with_header = format!("Copyright (c) 2019 Some Author <a@example.invalid>\n\n{text}");
            assert_eq!(detect(with_header.as_bytes()), Some(*id), "{id}");
        }
        let mit = "MIT License\n\nCopyright (c) 2021 Jane Doe\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this software and associated documentation files (the \"Software\"), to deal\nin the Software without restriction, including without limitation the rights\nto use, copy, modify, merge, publish, distribute, sublicense, and/or sell\ncopies of the Software, and to permit persons to whom the Software is\nfurnished to do so, subject to the following conditions:\n\nThe above copyright notice and this permission notice shall be included in all\ncopies or substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR\nIMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,\nFITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE\nAUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER\nLIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,\nOUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE\nSOFTWARE.\n";
        assert_eq!(detect(mit.as_bytes()), Some("MIT"));
    }

    #[test]
    fn unknown_or_mangled_texts_give_nothing() {
        assert_eq!(detect(b"All rights reserved. You may not copy this software in any form whatsoever, ever, at all, for any reason."), None);
        let mit = spdx::license_id("MIT").expect("known").text();
        let half = &mit[..mit.len() / 2];
        assert_eq!(
            detect(format!("{half}\nexcept on Tuesdays, when nothing at all is permitted to anyone.").as_bytes()),
            None
        );
        assert_eq!(detect(&[0xff; 4096]), None);
        assert_eq!(detect(&vec![b'a'; MAX_TEXT + 1]), None);
    }

    /// An image with an npm package and a Python distribution whose metadata name no licence,
    /// each with a licence file, and one with two different licence texts.
    #[test]
    fn packages_without_metadata_licences_get_the_file_text() {
        let text = |id: &str| spdx::license_id(id).expect("known").text().as_bytes().to_vec();
        let files: Vec<(&str, Vec<u8>)> = vec![
            ("usr/lib/node_modules/quiet/package.json", br#"{"name":"quiet","version":"1.0.0"}"#.to_vec()),
            ("usr/lib/node_modules/quiet/LICENSE", text("MIT")),
            ("usr/lib/node_modules/dual/package.json", br#"{"name":"dual","version":"2.0.0"}"#.to_vec()),
            ("usr/lib/node_modules/dual/LICENSE-MIT", text("MIT")),
            ("usr/lib/node_modules/dual/LICENSE-APACHE", text("Apache-2.0")),
            (
                "usr/lib/node_modules/said/package.json",
                br#"{"name":"said","version":"3.0.0","license":"ISC"}"#.to_vec(),
            ),
            ("usr/lib/node_modules/said/LICENSE", text("MIT")),
            (
                "usr/lib/python3/site-packages/plain-1.0.dist-info/METADATA",
                b"Metadata-Version: 2.1\nName: plain\nVersion: 1.0\n".to_vec(),
            ),
            ("usr/lib/python3/site-packages/plain-1.0.dist-info/licenses/LICENSE.txt", text("BSD-3-Clause")),
        ];
        let mut c = crate::Collector::new(crate::SourceKind::Image, crate::Limits::default());
        for (path, bytes) in &files {
            let meta = crate::FileMeta::regular(path, bytes.len() as u64, 0o644);
            c.add(&meta, &mut bytes.as_slice()).expect("add");
        }
        let sbom = c.finish(Default::default(), 0);
        let lic = |name: &str| {
            sbom.components.iter().find(|c| c.name == name).map(|c| c.licenses.clone()).expect("component")
        };
        assert_eq!(lic("quiet"), vec!["MIT"]);
        assert_eq!(lic("plain"), vec!["BSD-3-Clause"]);
        assert!(lic("dual").is_empty(), "two texts: no guess");
        assert_eq!(lic("said"), vec!["ISC"], "metadata wins over the file");
    }

    #[test]
    fn wants_package_level_licence_files_only() {
        assert!(wants("usr/lib/node_modules/left-pad/LICENSE"));
        assert!(wants("app/node_modules/@babel/core/LICENSE.md"));
        assert!(wants("usr/lib/python3/site-packages/six-1.16.0.dist-info/LICENSE"));
        assert!(wants("site-packages/x-1.dist-info/licenses/LICENSES/COPYING.txt"));
        assert!(!wants("app/node_modules/left-pad/lib/LICENSE"));
        assert!(!wants("usr/share/doc/x/LICENSE"));
        assert!(!wants("app/node_modules/license-checker/license.js"));
        assert!(!wants("LICENSE"));
    }
}
