//! chainseal-sbom: catalogers, the SBOM model, and the CycloneDX / SPDX writers and readers.
