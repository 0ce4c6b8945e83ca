//! Translating IDs through ID maps (container ↔ host), as 1.43's idtools does.

use crate::records::IdMap;

/// The kernel's overflow ID, used for IDs a map cannot express.
pub const OVERFLOW_ID: u32 = 65534;

/// The host ID that container ID `id` maps to; identity without maps.
/// A range reaching past `u32::MAX` maps nothing beyond it.
pub fn to_host(id: u32, maps: &[IdMap]) -> Option<u32> {
    if maps.is_empty() {
        return Some(id);
    }
    maps.iter()
        .find(|m| {
            id >= m.container_id && u64::from(id) < u64::from(m.container_id) + u64::from(m.size)
        })
        .and_then(|m| m.host_id.checked_add(id - m.container_id))
}

/// The container ID that host ID `id` maps back to; identity without maps.
pub fn to_container(id: u32, maps: &[IdMap]) -> Option<u32> {
    if maps.is_empty() {
        return Some(id);
    }
    maps.iter()
        .find(|m| id >= m.host_id && u64::from(id) < u64::from(m.host_id) + u64::from(m.size))
        .and_then(|m| m.container_id.checked_add(id - m.host_id))
}

/// Moves host ID `id` from one mapping to another (1.43's re-owning of a
/// copied layer): back to the container ID under `from` (0 passes through
/// when unmappable; anything else is an error), then to the host under `to`
/// (unmappable IDs become [`OVERFLOW_ID`]).
pub fn shift(id: u32, from: &[IdMap], to: &[IdMap]) -> Result<u32, String> {
    let container = match to_container(id, from) {
        Some(container) => container,
        None if id == 0 => 0,
        None => {
            return Err(format!(
                "mapping host ID {id} to container: no mapping covers it"
            ));
        }
    };
    Ok(to_host(container, to).unwrap_or(OVERFLOW_ID))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: [IdMap; 1] = [IdMap {
        container_id: 0,
        host_id: 100000,
        size: 65536,
    }];

    #[test]
    fn ids_translate_both_ways() {
        let cases = [
            (0, Some(100000)),
            (1000, Some(101000)),
            (65535, Some(165535)),
            (65536, None),
        ];
        for (container, host) in cases {
            assert_eq!(to_host(container, &MAP), host, "{container}");
            if let Some(host) = host {
                assert_eq!(to_container(host, &MAP), Some(container));
            }
        }
        assert_eq!(to_host(7, &[]), Some(7));
        assert_eq!(to_container(99999, &MAP), None);
    }

    #[test]
    fn shifting_between_maps_follows_1_43() {
        assert_eq!(shift(101000, &MAP, &[]), Ok(1000));
        assert_eq!(shift(1000, &[], &MAP), Ok(101000));
        assert_eq!(shift(0, &MAP, &[]), Ok(0), "0 passes through");
        assert!(shift(5, &MAP, &[]).is_err());
        let small = [IdMap {
            container_id: 0,
            host_id: 200000,
            size: 10,
        }];
        assert_eq!(shift(101000, &MAP, &small), Ok(OVERFLOW_ID));
    }
}
