//! Every WGSL kernel parses and validates with naga (the compiler wgpu uses), with the
//! entry point the pipeline asks for.

use trainer::backend::webgpu::kernels::Kernel;

#[test]
fn every_shader_parses_and_validates() {
    let mut failures = Vec::new();
    for kernel in Kernel::ALL {
        let source = kernel.source();
        let module = match naga::front::wgsl::parse_str(&source) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{}: {}", kernel.name(), e.emit_to_string(&source)));
                continue;
            }
        };
        let mut validator = naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::default(),
        );
        if let Err(e) = validator.validate(&module) {
            failures.push(format!("{}: {}", kernel.name(), e.emit_to_string(&source)));
            continue;
        }
        if !module.entry_points.iter().any(|e| e.name == kernel.entry()) {
            failures.push(format!(
                "{}: no entry point {}",
                kernel.name(),
                kernel.entry()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_registry_lists_every_shader_file() {
    // Each .wgsl file under shaders/ is used by some kernel (no orphan shaders).
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/shaders");
    let sources: Vec<String> = Kernel::ALL.iter().map(|k| k.source()).collect();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let text = std::fs::read_to_string(&p).unwrap();
                assert!(
                    sources.iter().any(|s| s.contains(&text)),
                    "{} is not part of any kernel",
                    p.display()
                );
            }
        }
    }
}
