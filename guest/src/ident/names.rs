//! Name-list rules: de-duplication and the image names history.

/// De-duplicates names, keeping each name's first occurrence.
pub fn dedup(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// The names history after an image's names became `names`: each name, in
/// order, is pushed to the front, then duplicates are dropped (first kept).
pub fn updated_history(history: &[String], names: &[String]) -> Vec<String> {
    let mut updated: Vec<String> = names.iter().rev().cloned().collect();
    updated.extend(history.iter().cloned());
    dedup(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn dedup_keeps_first_occurrence() {
        assert_eq!(
            dedup(strings(&["a", "b", "a", "c", "b"])),
            strings(&["a", "b", "c"])
        );
    }

    #[test]
    fn history_follows_1_43() {
        // create [a,b]; add c -> [c,b,a]; add d -> [d,c,b,a]; set [x,y] -> [y,x,d,c,b,a]
        let history = updated_history(&[], &strings(&["a", "b", "c"]));
        assert_eq!(history, strings(&["c", "b", "a"]));
        let history = updated_history(&history, &strings(&["a", "b", "c", "d"]));
        assert_eq!(history, strings(&["d", "c", "b", "a"]));
        let history = updated_history(&history, &strings(&["x", "y"]));
        assert_eq!(history, strings(&["y", "x", "d", "c", "b", "a"]));
    }
}
