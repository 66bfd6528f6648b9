//! Which chunks of which xorbs rebuild a byte range of a file (the reconstruction plan,
//! xet.md §4.1): chunk ranges are end-exclusive, byte ranges in the stored objects inclusive.

use std::collections::HashMap;

use stoa_xet::XetHash;

use super::store::{SegmentRecord, XorbChunk};

/// A run of chunks `[chunk_start, chunk_end)` of one xorb.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconstructionTerm {
    pub xorb: XetHash,
    pub chunk_start: u32,
    pub chunk_end: u32,
    pub unpacked_length: u64,
    /// Bytes of the stored object holding those chunks, end inclusive.
    pub byte_start: u64,
    pub byte_end: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconstructionPlan {
    /// Bytes to skip in the first term to reach the requested start.
    pub offset_into_first_range: u64,
    pub terms: Vec<ReconstructionTerm>,
}

fn chunk_start_offset(chunks: &[XorbChunk], index: usize) -> u64 {
    if index == 0 { 0 } else { chunks[index - 1].end_offset }
}

/// Plans bytes `start..=end` of a file made of `segments` (in order, with file offsets).
pub fn plan_range(
    segments: &[SegmentRecord],
    xorbs: &HashMap<XetHash, Vec<XorbChunk>>,
    start: u64,
    end: u64,
) -> Result<ReconstructionPlan, String> {
    let mut terms = Vec::new();
    let mut offset_into_first_range = 0;
    for segment in segments {
        let segment_end = segment.file_offset + segment.unpacked_bytes;
        if segment_end <= start || segment.file_offset > end {
            continue;
        }
        let chunks = xorbs.get(&segment.xorb).ok_or_else(|| format!("xorb {} is missing", segment.xorb))?;
        let (first, last) = (segment.chunk_start as usize, segment.chunk_end as usize);
        let run = chunks.get(first..last).ok_or_else(|| format!("segment out of range of xorb {}", segment.xorb))?;
        let mut chunk_offset = segment.file_offset;
        let mut selected: Option<(usize, usize, u64)> = None;
        for (position, chunk) in run.iter().enumerate() {
            let chunk_end = chunk_offset + chunk.length;
            if chunk_end > start && chunk_offset <= end {
                let index = first + position;
                selected = Some(match selected {
                    None => {
                        if terms.is_empty() {
                            offset_into_first_range = start.saturating_sub(chunk_offset);
                        }
                        (index, index + 1, chunk.length)
                    }
                    Some((from, _, length)) => (from, index + 1, length + chunk.length),
                });
            }
            chunk_offset = chunk_end;
        }
        if let Some((from, to, unpacked_length)) = selected {
            terms.push(ReconstructionTerm {
                xorb: segment.xorb,
                chunk_start: u32::try_from(from).map_err(|_| "chunk index overflow")?,
                chunk_end: u32::try_from(to).map_err(|_| "chunk index overflow")?,
                unpacked_length,
                byte_start: chunk_start_offset(chunks, from),
                byte_end: chunks[to - 1].end_offset - 1,
            });
        }
    }
    Ok(ReconstructionPlan { offset_into_first_range, terms })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorb(lengths: &[u64], compressed: u64) -> Vec<XorbChunk> {
        let mut end = 0;
        lengths
            .iter()
            .enumerate()
            .map(|(index, length)| {
                end += compressed;
                XorbChunk {
                    hash: XetHash::of_chunk(&[u8::try_from(index).expect("small")]),
                    length: *length,
                    end_offset: end,
                }
            })
            .collect()
    }

    #[test]
    fn ranges_select_the_covering_chunks() {
        let a = XetHash::of_chunk(b"xorb a");
        let b = XetHash::of_chunk(b"xorb b");
        let xorbs = HashMap::from([(a, xorb(&[100, 100, 100], 50)), (b, xorb(&[10, 20], 30))]);
        // File: chunks 1..3 of a (200 bytes), then chunks 0..2 of b (30 bytes).
        let segments = vec![
            SegmentRecord { xorb: a, chunk_start: 1, chunk_end: 3, unpacked_bytes: 200, file_offset: 0 },
            SegmentRecord { xorb: b, chunk_start: 0, chunk_end: 2, unpacked_bytes: 30, file_offset: 200 },
        ];
        let whole = plan_range(&segments, &xorbs, 0, 229).expect("plans");
        assert_eq!(whole.offset_into_first_range, 0);
        assert_eq!(whole.terms.len(), 2);
        assert_eq!((whole.terms[0].chunk_start, whole.terms[0].chunk_end), (1, 3));
        assert_eq!((whole.terms[0].byte_start, whole.terms[0].byte_end), (50, 149));
        assert_eq!(whole.terms[1].unpacked_length, 30);

        let middle = plan_range(&segments, &xorbs, 150, 205).expect("plans");
        assert_eq!(middle.offset_into_first_range, 50, "150 is 50 bytes into chunk 2 of a");
        assert_eq!((middle.terms[0].chunk_start, middle.terms[0].chunk_end), (2, 3));
        assert_eq!((middle.terms[1].chunk_start, middle.terms[1].chunk_end), (0, 1), "205 lies in b's first chunk");

        let tail = plan_range(&segments, &xorbs, 215, 229).expect("plans");
        assert_eq!(tail.terms.len(), 1);
        assert_eq!(tail.offset_into_first_range, 5);
        assert_eq!((tail.terms[0].byte_start, tail.terms[0].byte_end), (30, 59));
    }
}
