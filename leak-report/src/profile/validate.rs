//! The checks that let [`Report::build`](crate::Report::build) trust a parsed profile:
//! frame indices and site ids here, then the reachability fields (the `reach` module), the
//! footprint (the `footprint` module) and the timeline's site ids (the `timeline` module).

use std::collections::HashMap;
use std::path::Path;

use crate::error::Error;
use crate::model::Mode;
use crate::profile::loaded::Raw;
use crate::profile::reach::validate_reachability;

/// Validates a body deserialized (or, in tests, built in memory); returns the site id ->
/// index map. Puts the timeline in time order.
pub(crate) fn validate(path: &Path, raw: &mut Raw) -> Result<HashMap<u64, usize>, Error> {
    let site_index = validate_references(path, raw)?;
    validate_reachability(path, raw)?;
    crate::profile::footprint::validate(path, "footprint", raw.footprint.as_ref())?;
    if let Some(timeline) = &mut raw.timeline {
        crate::profile::timeline::validate(path, timeline, &site_index)?;
    }
    if let Some(mode) = raw.mode.as_deref()
        && Mode::from_name(mode).is_none()
    {
        return Err(Error::InvalidField {
            path: path.to_owned(),
            field: "mode".to_owned(),
            message: format!("{mode:?} is neither \"inprocess\" nor \"preload\""),
        });
    }
    if raw.version >= 2 && raw.modules.is_none() {
        return Err(Error::MissingField {
            path: path.to_owned(),
            field: "modules".to_owned(),
        });
    }
    Ok(site_index)
}

/// Checks the cross references; returns the site id -> index map.
fn validate_references(path: &Path, raw: &Raw) -> Result<HashMap<u64, usize>, Error> {
    let frames = raw.frames.len();
    let mut site_index = HashMap::with_capacity(raw.sites.len());
    for (index, site) in raw.sites.iter().enumerate() {
        if site_index.insert(site.id, index).is_some() {
            return Err(Error::DuplicateSite {
                path: path.to_owned(),
                index,
                id: site.id,
            });
        }
        for (position, &frame) in site.frames.iter().enumerate() {
            if usize::try_from(frame).map_or(true, |frame| frame >= frames) {
                return Err(Error::DanglingFrame {
                    path: path.to_owned(),
                    site: index,
                    position,
                    frame,
                    frames,
                });
            }
        }
    }
    for (block, live) in raw.live.iter().enumerate() {
        if !site_index.contains_key(&live.site) {
            return Err(Error::DanglingSite {
                path: path.to_owned(),
                block,
                site: live.site,
            });
        }
    }
    Ok(site_index)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::symbols::load::parse_profile;
    use crate::testing::LEAKY;

    #[test]
    fn duplicate_site_ids_are_rejected() {
        let mut value: Value = serde_json::from_str(LEAKY).unwrap();
        value["sites"][4]["id"] = Value::from(1);
        let error =
            parse_profile(Path::new("/x/prof.json"), value.to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(
                error,
                Error::DuplicateSite {
                    index: 4,
                    id: 1,
                    ..
                }
            ),
            "{error}"
        );
    }
}
