//! Assembling the document.
