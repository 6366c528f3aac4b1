//! The applicant's own documents: upload (streamed from any reader), list,
//! read. An applicant's own reads are not uses and go on no chain.

use crate::services::convert;
use crate::services::error::ServiceError;
use crate::Node;
use safebox_chain::DocumentRef;
use safebox_vault::{BoxId, DocumentId, DocumentMeta, DocumentType, NewDocument, Version};
use std::io::{Read, Write};

impl Node {
    /// Stores the content of `source` as the next version of its document
    /// type, streaming it in sealed chunks.
    pub fn upload_document(
        &self,
        box_id: BoxId,
        new: &NewDocument,
        source: impl Read,
    ) -> Result<DocumentMeta, ServiceError> {
        self.live_box(box_id)?;
        Ok(self.vault.put_document(box_id, new, source)?)
    }

    /// Every stored version of every document in the box.
    pub fn documents(&self, box_id: BoxId) -> Result<Vec<DocumentMeta>, ServiceError> {
        self.live_box(box_id)?;
        Ok(self.vault.documents(box_id)?)
    }

    /// How grants and uses name the box's document of `document_type`
    /// (whether or not it was uploaded yet).
    pub fn document_ref(&self, box_id: BoxId, document_type: &DocumentType) -> Result<DocumentRef, ServiceError> {
        self.live_box(box_id)?;
        Ok(convert::document_ref(self.vault.document_id(box_id, document_type)?))
    }

    /// Writes one version of the applicant's own document to `out`.
    pub fn read_own_document(
        &self,
        box_id: BoxId,
        document: DocumentId,
        version: Version,
        out: &mut impl Write,
    ) -> Result<DocumentMeta, ServiceError> {
        self.live_box(box_id)?;
        Ok(self.vault.read_document(box_id, document, version, out)?)
    }
}
