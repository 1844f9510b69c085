//! Auto's choice of backend, from the training speed measured on each (the measuring is
//! the worker session's, `session/auto.rs`): which is faster, and how the learner is told.

use crate::size::grouped;
use crate::worker::protocol::Backend;

/// Training samples/s of one architecture and batch size on each backend.
#[derive(Debug, Clone, PartialEq)]
pub struct Speeds {
    pub cpu: f64,
    pub gpu: f64,
    /// The adapter, as the learner is told about it.
    pub adapter: String,
    pub software: bool,
}

impl Speeds {
    pub fn faster(&self) -> Backend {
        if self.gpu > self.cpu {
            Backend::WebGpu
        } else {
            Backend::Cpu
        }
    }

    /// "Auto chose the CPU: CPU 5 000 samples/s; WebGPU on google swiftshader (a software
    /// adapter) 160 samples/s, measured on this model."
    pub fn reason(&self) -> String {
        let rate = |x: f64| grouped(x.round() as u64);
        let chosen = match self.faster() {
            Backend::WebGpu => "WebGPU",
            _ => "the CPU",
        };
        format!(
            "Auto chose {chosen}: CPU {} samples/s; WebGPU on {}{} {} samples/s, measured on this model and batch size.",
            rate(self.cpu),
            self.adapter,
            if self.software { " (a software adapter)" } else { "" },
            rate(self.gpu),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_names_both_figures_and_a_software_adapter() {
        let s = Speeds {
            cpu: 5012.4,
            gpu: 160.2,
            adapter: "google swiftshader".into(),
            software: true,
        };
        assert_eq!(s.faster(), Backend::Cpu);
        assert_eq!(
            s.reason(),
            "Auto chose the CPU: CPU 5 012 samples/s; WebGPU on google swiftshader (a software adapter) 160 samples/s, measured on this model and batch size."
        );
        let s = Speeds {
            cpu: 100.0,
            gpu: 9000.0,
            adapter: "nvidia".into(),
            software: false,
        };
        assert_eq!(s.faster(), Backend::WebGpu);
        assert!(s
            .reason()
            .starts_with("Auto chose WebGPU: CPU 100 samples/s; WebGPU on nvidia 9 000"));
    }
}
