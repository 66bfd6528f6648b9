//! Git's pkt-line framing: a 4-hex-digit length (itself included) then the data; `0000` is a
//! flush. Only what the push side needs: writing lines and parsing the command list.

use stoa_core::ports::ObjectId;
use stoa_core::push::RefCommand;

/// Largest payload of one pkt-line (65520 bytes in all).
pub(crate) const MAX_DATA: usize = 65_516;

pub(crate) fn write(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(format!("{:04x}", data.len() + 4).as_bytes());
    out.extend_from_slice(data);
}

pub(crate) fn flush(out: &mut Vec<u8>) {
    out.extend_from_slice(b"0000");
}

/// The command list of a push and the capabilities on its first line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PushCommands {
    pub(crate) updates: Vec<RefCommand>,
    pub(crate) capabilities: Vec<String>,
}

fn object_id(text: &str) -> Result<Option<ObjectId>, String> {
    if text.bytes().all(|b| b == b'0') && text.len() == 40 {
        return Ok(None);
    }
    ObjectId::from_hex(text).map(Some).ok_or_else(|| format!("invalid object id '{text}' in push command"))
}

/// Parses `<old> <new> <ref>[\0caps]` lines up to the flush. `Ok(None)` when more bytes are
/// needed; otherwise the commands and how many bytes they took.
pub(crate) fn parse_commands(buffer: &[u8]) -> Result<Option<(PushCommands, usize)>, String> {
    let mut position = 0;
    let mut commands = PushCommands { updates: Vec::new(), capabilities: Vec::new() };
    loop {
        let Some(length) = buffer.get(position..position + 4) else { return Ok(None) };
        let length = std::str::from_utf8(length)
            .ok()
            .and_then(|text| usize::from_str_radix(text, 16).ok())
            .ok_or("invalid pkt-line length in push request")?;
        if length == 0 {
            // An empty list is git's probe before a large chunked push: nothing to do.
            return Ok(Some((commands, position + 4)));
        }
        if length < 4 {
            return Err("invalid pkt-line length in push request".to_owned());
        }
        let Some(data) = buffer.get(position + 4..position + length) else { return Ok(None) };
        position += length;
        let line = std::str::from_utf8(data).map_err(|_| "push command is not UTF-8")?;
        let line = line.strip_suffix('\n').unwrap_or(line);
        // A push from a shallow clone first lists its shallow boundaries: nothing to do with
        // them here (the pack is completed from the repo, and the rules walk from each tip).
        if line.starts_with("shallow ") {
            continue;
        }
        let (command, capabilities) = match line.split_once('\0') {
            Some((command, capabilities)) => (command, Some(capabilities)),
            None => (line, None),
        };
        if commands.updates.is_empty()
            && let Some(capabilities) = capabilities
        {
            commands.capabilities = capabilities.split(' ').filter(|c| !c.is_empty()).map(str::to_owned).collect();
        }
        let mut fields = command.splitn(3, ' ');
        let (Some(old), Some(new), Some(name)) = (fields.next(), fields.next(), fields.next()) else {
            return Err(format!("malformed push command '{command}'"));
        };
        commands.updates.push(RefCommand { old: object_id(old)?, new: object_id(new)?, name: name.to_owned() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_capabilities_and_wait_for_more_bytes() {
        let old = "a".repeat(40);
        let new = "b".repeat(40);
        let mut request = Vec::new();
        write(&mut request, format!("{old} {new} refs/heads/main\0report-status side-band-64k\n").as_bytes());
        write(&mut request, format!("{} {new} refs/tags/v1\n", "0".repeat(40)).as_bytes());
        flush(&mut request);
        request.extend_from_slice(b"PACK...");
        let mut shallow = Vec::new();
        write(&mut shallow, format!("shallow {old}").as_bytes());
        shallow.extend_from_slice(&request);
        let (from_shallow, _) = parse_commands(&shallow).expect("valid").expect("complete");
        assert_eq!(from_shallow.updates.len(), 2, "shallow lines are skipped");
        assert_eq!(parse_commands(&request[..10]), Ok(None));
        let (commands, used) = parse_commands(&request).expect("valid").expect("complete");
        assert_eq!(&request[used..], b"PACK...");
        assert_eq!(commands.capabilities, vec!["report-status", "side-band-64k"]);
        assert_eq!(commands.updates.len(), 2);
        assert_eq!(commands.updates[1].old, None);
        assert_eq!(commands.updates[1].name, "refs/tags/v1");
        let (probe, _) = parse_commands(b"0000").expect("valid").expect("complete");
        assert!(probe.updates.is_empty(), "git's probe names no ref");
        assert!(parse_commands(b"zzzz").is_err());
        assert!(parse_commands(b"0009abcd\n0000").is_err());
    }
}
