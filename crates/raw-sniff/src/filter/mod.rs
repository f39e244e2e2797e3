//! Capture filters: a subset of tcpdump's pcap-filter language, parsed to an AST and compiled to
//! classic BPF so the kernel can drop unwanted packets before they are copied.
