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

#[test]
fn every_kernel_binds_params_then_what_it_writes_then_what_it_reads() {
    // The one binding order (backend/webgpu/kernels.rs): 0 the params uniform, then the
    // buffers written, then those only read, numbered without gaps for each entry point.
    // Launchers pass their buffers as these two lists, so a shader that breaks the order
    // would be bound wrongly.
    let mut failures = Vec::new();
    for kernel in Kernel::ALL {
        let source = kernel.source();
        let module = naga::front::wgsl::parse_str(&source).expect("parses");
        let info = naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::default(),
        )
        .validate(&module)
        .expect("validates");
        let index = (module.entry_points.iter())
            .position(|e| e.name == kernel.entry())
            .expect("entry point");
        let uses = info.get_entry_point(index);
        // (binding, written) of each buffer the entry point uses.
        let (mut params, mut buffers) = (false, Vec::new());
        for (handle, var) in module.global_variables.iter() {
            let Some(b) = &var.binding else { continue };
            if uses[handle].is_empty() {
                continue;
            }
            match var.space {
                naga::AddressSpace::Uniform if (b.group, b.binding) == (0, 0) => params = true,
                naga::AddressSpace::Storage { access } if b.group == 0 && b.binding > 0 => {
                    buffers.push((b.binding, access.contains(naga::StorageAccess::STORE)))
                }
                _ => failures.push(format!("{}: binding {b:?} out of place", kernel.name())),
            }
        }
        buffers.sort();
        let name = kernel.name();
        if !params {
            failures.push(format!("{name}: binding 0 is not its params"));
        }
        if !buffers.iter().map(|b| b.0).eq(1..=buffers.len() as u32) {
            failures.push(format!("{name}: bindings {buffers:?} have gaps"));
        }
        if buffers.windows(2).any(|w| !w[0].1 && w[1].1) {
            failures.push(format!(
                "{name}: a buffer written after one read: {buffers:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
