//! pprof's profile (`profile.proto`, gzipped), the heap profile `go tool pprof`, Grafana
//! Pyroscope, Parca and Datadog read: for each allocation stack, what it allocated over
//! the run and what it still held when the profile was written.

use std::collections::HashMap;
use std::io::{self, Write as _};

use flate2::Compression;
use flate2::write::GzEncoder;
use prost::Message as _;

use crate::model::Mode;
use crate::profile::loaded::Profile;
use crate::render::pprof::proto;
use crate::symbols::entry::StackEntry;
use crate::symbols::stack::analyse_site;

/// The sample types, in the order of each sample's values: Go's heap profile's, so that
/// pprof's `-sample_index` names and its default view (`inuse_space`) work as for Go.
pub const PPROF_SAMPLE_TYPES: [(&str, &str); 4] = [
    ("alloc_objects", "count"),
    ("alloc_space", "bytes"),
    ("inuse_objects", "count"),
    ("inuse_space", "bytes"),
];

/// Writes the profile as a gzipped pprof protobuf: one sample per stack, trimmed as the
/// report trims it (sites with the same trimmed stack summed), with
/// `alloc_objects`/`alloc_space` (over the run) and `inuse_objects`/`inuse_space` (live
/// when the profile was written; at exit, the leaks and everything still reachable).
/// Under `MEMLEAK_SAMPLE_BYTES` the values are the profile's unbiased estimates, as Go's
/// are, and the period is the sampling mean; else every allocation is counted and the
/// period is 1.
///
/// # Errors
/// Write errors.
pub fn write_pprof(profile: &Profile, out: &mut dyn io::Write) -> io::Result<()> {
    let bytes = pprof_profile(profile).encode_to_vec();
    let mut gzip = GzEncoder::new(out, Compression::default());
    gzip.write_all(&bytes)?;
    gzip.finish()?.flush()
}

/// The message [`write_pprof`] encodes.
fn pprof_profile(profile: &Profile) -> proto::Profile {
    let mut builder = Builder::default();
    let sample_type = PPROF_SAMPLE_TYPES
        .iter()
        .map(|&(kind, unit)| builder.value_type(kind, unit))
        .collect();
    let mut samples: Vec<proto::Sample> = Vec::new();
    let mut sample_of: HashMap<Vec<u64>, usize> = HashMap::new();
    for site in profile.sites() {
        if site.allocated_blocks == 0 && site.live_blocks == 0 {
            continue;
        }
        let stack = analyse_site(profile, site).stack;
        let location_id: Vec<u64> = stack.iter().map(|entry| builder.location(entry)).collect();
        let at = *sample_of.entry(location_id.clone()).or_insert_with(|| {
            samples.push(proto::Sample {
                location_id,
                value: vec![0; PPROF_SAMPLE_TYPES.len()],
                label: Vec::new(),
            });
            samples.len() - 1
        });
        let counts = [
            site.allocated_blocks,
            site.allocated_bytes,
            site.live_blocks,
            site.live_bytes,
        ];
        if let Some(sample) = samples.get_mut(at) {
            for (value, count) in sample.value.iter_mut().zip(counts) {
                *value = value.saturating_add(i64::try_from(count).unwrap_or(i64::MAX));
            }
        }
    }
    let period = profile.sampling().map_or(1, |sampling| sampling.mean_bytes);
    let period_type = Some(builder.value_type("space", "bytes"));
    // Shown first, as in Go's heap profiles: what is held, not what was churned.
    let default_sample_type = builder.string("inuse_space");
    let origin = match profile.mode() {
        Mode::Preload => "every malloc of the process (cargo memleak's interposer)",
        _ => "Rust's global allocator (cargo memleak's TrackingAlloc)",
    };
    let comment = vec![builder.string(&format!(
        "{}: {origin}, live at {}",
        profile.exe(),
        profile.reason().unwrap_or("exit")
    ))];
    let mapping = vec![proto::Mapping {
        id: MAPPING_ID,
        filename: builder.string(profile.exe()),
        // Symbolized already: pprof must not look for the binary to symbolize it again.
        has_functions: true,
        has_filenames: true,
        has_line_numbers: true,
        has_inline_frames: true,
        ..proto::Mapping::default()
    }];
    proto::Profile {
        sample_type,
        sample: samples,
        mapping,
        location: builder.locations,
        function: builder.functions,
        string_table: builder.strings,
        time_nanos: 0,
        duration_nanos: i64::try_from(profile.elapsed_ns()).unwrap_or(i64::MAX),
        period_type,
        period: i64::try_from(period).unwrap_or(i64::MAX),
        comment,
        default_sample_type,
    }
}

/// The one mapping every location refers to: the program.
const MAPPING_ID: u64 = 1;

/// The tables of a profile being built: strings, functions and locations, each entry
/// once (ids are positions + 1, as pprof wants non-zero ids).
struct Builder {
    strings: Vec<String>,
    string_index: HashMap<String, i64>,
    functions: Vec<proto::Function>,
    function_index: HashMap<(String, Option<String>), u64>,
    locations: Vec<proto::Location>,
    location_index: HashMap<StackEntry, u64>,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            // pprof requires the empty string first.
            strings: vec![String::new()],
            string_index: HashMap::from([(String::new(), 0)]),
            functions: Vec::new(),
            function_index: HashMap::new(),
            locations: Vec::new(),
            location_index: HashMap::new(),
        }
    }
}

impl Builder {
    /// The index of `text` in the string table, added if new.
    fn string(&mut self, text: &str) -> i64 {
        if let Some(&index) = self.string_index.get(text) {
            return index;
        }
        let index = i64::try_from(self.strings.len()).unwrap_or(i64::MAX);
        self.strings.push(text.to_owned());
        self.string_index.insert(text.to_owned(), index);
        index
    }

    /// A value type of these names.
    fn value_type(&mut self, kind: &str, unit: &str) -> proto::ValueType {
        proto::ValueType {
            r#type: self.string(kind),
            unit: self.string(unit),
        }
    }

    /// The id of the entry's function (by name and file), added if new.
    fn function(&mut self, entry: &StackEntry) -> u64 {
        let key = (entry.function.clone(), entry.file.clone());
        if let Some(&id) = self.function_index.get(&key) {
            return id;
        }
        let name = self.string(&entry.function);
        let filename = entry.file.as_deref().map_or(0, |file| self.string(file));
        let id = self.functions.len() as u64 + 1;
        self.functions.push(proto::Function {
            id,
            name,
            // No system (mangled) name: pprof takes a function whose two names are equal
            // for one still to demangle, and strips what it thinks are C++ template
            // arguments, `<...>`, from it: `<gimli::...::Abbreviations>::insert` became
            // `::insert`. A name without a system name is demangled already.
            system_name: 0,
            filename,
            start_line: 0,
        });
        self.function_index.insert(key, id);
        id
    }

    /// The id of the entry's location (function, file, line and, for an unresolved
    /// frame, its address), added if new.
    fn location(&mut self, entry: &StackEntry) -> u64 {
        if let Some(&id) = self.location_index.get(entry) {
            return id;
        }
        let function_id = self.function(entry);
        let id = self.locations.len() as u64 + 1;
        self.locations.push(proto::Location {
            id,
            mapping_id: MAPPING_ID,
            address: entry.ip.unwrap_or(0),
            line: vec![proto::Line {
                function_id,
                line: entry
                    .line
                    .and_then(|line| i64::try_from(line).ok())
                    .unwrap_or(0),
            }],
        });
        self.location_index.insert(entry.clone(), id);
        id
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use flate2::read::GzDecoder;

    use super::*;
    use crate::testing::leaky;

    /// The export of `profile`, unzipped and decoded.
    fn decoded(profile: &Profile) -> proto::Profile {
        let mut gzipped = Vec::new();
        write_pprof(profile, &mut gzipped).unwrap();
        assert_eq!(gzipped[..2], [0x1f, 0x8b], "not gzip");
        let mut bytes = Vec::new();
        GzDecoder::new(&gzipped[..])
            .read_to_end(&mut bytes)
            .unwrap();
        proto::Profile::decode(&bytes[..]).unwrap()
    }

    #[test]
    fn leaky_decodes_with_go_heap_sample_types_and_the_leak_site() {
        let profile = leaky();
        let pprof = decoded(&profile);
        let text = |index: i64| pprof.string_table[usize::try_from(index).unwrap()].as_str();
        assert_eq!(pprof.string_table[0], "");
        let types: Vec<(&str, &str)> = pprof
            .sample_type
            .iter()
            .map(|t| (text(t.r#type), text(t.unit)))
            .collect();
        assert_eq!(types, PPROF_SAMPLE_TYPES);
        assert_eq!(text(pprof.default_sample_type), "inuse_space");
        assert_eq!(pprof.period, 1);
        // Every id a sample names exists, and ids are positions + 1.
        for (at, location) in pprof.location.iter().enumerate() {
            assert_eq!(location.id, at as u64 + 1);
            assert_eq!(location.mapping_id, MAPPING_ID);
        }
        let function_of = |location: u64| {
            let line = &pprof.location[usize::try_from(location - 1).unwrap()].line[0];
            let function = &pprof.function[usize::try_from(line.function_id - 1).unwrap()];
            (text(function.name), line.line)
        };
        // The fixture's two leak_some sites share a trimmed stack: one sample.
        let leak_some: Vec<&proto::Sample> = pprof
            .sample
            .iter()
            .filter(|sample| function_of(sample.location_id[0]).0 == "leaky::leak_some")
            .collect();
        assert_eq!(leak_some.len(), 1, "{pprof:?}");
        let (live_bytes, live_blocks, allocated_blocks) = profile
            .sites()
            .iter()
            .filter(|site| analyse_site(&profile, site).stack[0].function == "leaky::leak_some")
            .fold((0, 0, 0), |(bytes, blocks, allocated), site| {
                (
                    bytes + site.live_bytes,
                    blocks + site.live_blocks,
                    allocated + site.allocated_blocks,
                )
            });
        assert_eq!((live_bytes, live_blocks), (6400, 100));
        let values: Vec<u64> = leak_some[0].value.iter().map(|&v| v as u64).collect();
        assert_eq!(values, [allocated_blocks, 6400, live_blocks, live_bytes]);
        assert_eq!(
            function_of(*leak_some[0].location_id.last().unwrap()).0,
            "leaky::main"
        );
        assert!(
            pprof
                .function
                .iter()
                .all(|function| function.system_name == 0)
        );
        // All values summed are the profile's sites summed.
        let live_total: i64 = pprof.sample.iter().map(|sample| sample.value[3]).sum();
        let sites_total: u64 = profile.sites().iter().map(|site| site.live_bytes).sum();
        assert_eq!(live_total as u64, sites_total);
    }

    #[test]
    fn a_sampled_profile_has_its_mean_as_period() {
        let mut value: serde_json::Value = serde_json::from_str(crate::testing::LEAKY).unwrap();
        value["sampling"] = serde_json::json!({"mean_bytes": 4096});
        let profile = crate::symbols::load::parse_profile(
            std::path::Path::new("/t.json"),
            value.to_string().as_bytes(),
        )
        .unwrap();
        let pprof = decoded(&profile);
        assert_eq!(pprof.period, 4096);
        let text = |index: i64| pprof.string_table[usize::try_from(index).unwrap()].as_str();
        let period_type = pprof.period_type.unwrap();
        assert_eq!(
            (text(period_type.r#type), text(period_type.unit)),
            ("space", "bytes")
        );
    }
}
