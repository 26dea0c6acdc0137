@ defmt test firmware for stm32-opts: ARMv7-M integer Thumb code that logs through defmt over
@ RTT, as `defmt` + `defmt-rtt` firmware does, with a defmt table the real decoder accepts.
@
@ The table: the `.defmt` section (not loaded; placed at address 1 by data.ld) holds one 1-byte
@ symbol per format string, named with the JSON defmt's macros produce; a symbol's address is the
@ string's index. `_defmt_version_ = 4` and `_defmt_encoding_ = rzcobs` say which wire format.
@ The log statements (indices by address):
@   timestamp  "{=u32:us}"                       (a counter: 125 us per frame)
@   ERROR      "boot: {=u8} up channel(s)"        once, first
@   INFO       "line {=u32}"                      every line, numbered from 0
@   WARN       "four lines, the last {=u32}"      after lines 3, 7, 11, ...
@ and after lines 5, 21, 37, ... (every 16th from 5) a frame with index 99, which is not in the
@ table (a decoder must report it, not stop).
@
@ A frame is the index (u16 little-endian), the timestamp (u32), the argument (little-endian,
@ its size), rzCOBS-encoded (encode_frame below) and followed by a 0x00, written to up channel 0
@ "defmt" (1024 bytes, blocking mode: the program waits while the ring is full) of the
@ statically initialised control block `_SEGGER_RTT` (in .data, as defmt-rtt's).
@ Each log statement also has the debug information a defmt build gives it (end of file): a DWARF
@ variable DEFMT_LOG_STATEMENT whose linkage name is the statement's symbol, declared at the line
@ of its call site here, so that a decoder can print `defmt.s:LINE` after the message.
@ Rebuild with `examples/firmware/build.sh`.

    .syntax unified
    .cpu cortex-m7
    .thumb

    .equ UP_SIZE, 1024
    .equ MODE_BLOCK_IF_FULL, 2
    .equ CB_UP0, 24
    .equ CH_WR, 12
    .equ CH_RD, 16
    .equ TICKS_PER_FRAME, 125
    .equ UNKNOWN_INDEX, 99

@ The defmt table.
    .section .defmt, "", %progbits
.Lts:
"{\"package\":\"stm32-opts-firmware\",\"tag\":\"defmt_timestamp\",\"data\":\"{=u32:us}\",\"disambiguator\":\"1\",\"crate_name\":\"defmt_s\"}":
    .byte 0
.Lboot:
"{\"package\":\"stm32-opts-firmware\",\"tag\":\"defmt_error\",\"data\":\"boot: {=u8} up channel(s)\",\"disambiguator\":\"2\",\"crate_name\":\"defmt_s\"}":
    .byte 0
.Lline:
"{\"package\":\"stm32-opts-firmware\",\"tag\":\"defmt_info\",\"data\":\"line {=u32}\",\"disambiguator\":\"3\",\"crate_name\":\"defmt_s\"}":
    .byte 0
.Lfour:
"{\"package\":\"stm32-opts-firmware\",\"tag\":\"defmt_warn\",\"data\":\"four lines, the last {=u32}\",\"disambiguator\":\"4\",\"crate_name\":\"defmt_s\"}":
    .byte 0
    .set "_defmt_version_ = 4", 1
    .set "_defmt_encoding_ = rzcobs", 1

    .section .vectors, "a", %progbits
    .global vector_table
vector_table:
    .word _stack_top
    .word reset_handler
    .rept 14
    .word default_handler
    .endr

    .text
.Ltext_start:
    .thumb_func
    .global reset_handler
    .type reset_handler, %function
reset_handler:
    ldr r0, =_stack_top
    mov sp, r0
    ldr r0, =_sdata
    ldr r1, =_edata
    ldr r2, =_sidata
copy_data:
    cmp r0, r1
    bhs data_done
    ldr r3, [r2], #4
    str r3, [r0], #4
    b copy_data
data_done:
    ldr r0, =_sbss
    ldr r1, =_ebss
    movs r3, #0
clear_bss:
    cmp r0, r1
    bhs bss_done
    str r3, [r0], #4
    b clear_bss
bss_done:
    ldr r0, =.Lboot             @ log statement: boot
    movs r1, #1
    movs r2, #1
    bl log_frame
    movs r10, #0
main_loop:
    ldr r0, =.Lline             @ log statement: line
    mov r1, r10
    movs r2, #4
    bl log_frame
    and r3, r10, #3
    cmp r3, #3
    bne no_warning
    ldr r0, =.Lfour             @ log statement: four
    mov r1, r10
    movs r2, #4
    bl log_frame
no_warning:
    and r3, r10, #15
    cmp r3, #5
    bne no_unknown
    movs r0, #UNKNOWN_INDEX
    mov r1, r10
    movs r2, #4
    bl log_frame
no_unknown:
    bl line_done
    adds r10, r10, #1
    b main_loop

@ Called after each line with its number in r10.
    .thumb_func
    .global line_done
    .type line_done, %function
line_done:
    ldr r0, =lines
    str r10, [r0]
    bx lr

@ Logs one frame: r0 = the string index, r1 = the argument, r2 = its size in bytes (0..4).
@ Builds index, timestamp and argument in `frame`, advances the timestamp, writes the frame.
    .thumb_func
    .global log_frame
    .type log_frame, %function
log_frame:
    push {r4-r8, lr}
    ldr r4, =frame
    mov r5, r4
    strb r0, [r5], #1
    lsrs r0, r0, #8
    strb r0, [r5], #1
    ldr r12, =timestamp
    ldr r0, [r12]
    adds r3, r0, #TICKS_PER_FRAME
    str r3, [r12]
    movs r3, #4
timestamp_byte:
    strb r0, [r5], #1
    lsrs r0, r0, #8
    subs r3, r3, #1
    bne timestamp_byte
argument_byte:
    cbz r2, frame_built
    strb r1, [r5], #1
    lsrs r1, r1, #8
    subs r2, r2, #1
    b argument_byte
frame_built:
    bl encode_frame
    pop {r4-r8, pc}

@ Writes the bytes r4..r5 rzCOBS-encoded, then the 0x00 that ends a frame. rzCOBS, read from
@ the end: a byte 0x01..0x7F stands for the 7 bytes before it (bit n set: byte n is 0x00, else it
@ is in the stream), 0x80 + k for k + 7 non-zero bytes then a 0x00, 0xFF for 134 non-zero bytes.
@ Going forward: r6 = bytes in the current group, r7 = the zero bits of a group of 7.
    .thumb_func
    .type encode_frame, %function
encode_frame:
    push {lr}
    movs r6, #0
    movs r7, #0
next_raw:
    cmp r4, r5
    beq encode_end
    ldrb r0, [r4], #1
    cmp r6, #7
    bhs long_run
    @ Within a group of 7: a zero is a bit, anything else goes out as it is.
    cbnz r0, group_literal
    movs r3, #1
    lsls r3, r3, r6
    orrs r7, r7, r3
    b group_counted
group_literal:
    bl put_byte
group_counted:
    adds r6, r6, #1
    cmp r6, #7
    bne next_raw
    cmp r7, #0
    beq next_raw              @ seven non-zero bytes: a run goes on
    mov r0, r7
    bl put_byte
    movs r6, #0
    movs r7, #0
    b next_raw
long_run:
    cbnz r0, run_literal
    @ The zero that ends a run of r6 non-zero bytes.
    subs r0, r6, #7
    orr r0, r0, #0x80
    bl put_byte
    movs r6, #0
    b next_raw
run_literal:
    bl put_byte
    adds r6, r6, #1
    cmp r6, #134
    bne next_raw
    movs r0, #0xFF
    bl put_byte
    movs r6, #0
    b next_raw
encode_end:
    cbz r6, frame_end
    cmp r6, #7
    bhs run_end
    @ A short last group: the missing bytes count as zeros (the decoder drops what follows the
    @ frame).
    movs r0, #0x7F
    lsls r0, r0, r6
    orrs r0, r0, r7
    and r0, r0, #0x7F
    bl put_byte
    b frame_end
run_end:
    subs r0, r6, #7
    orr r0, r0, #0x80
    bl put_byte
frame_end:
    movs r0, #0
    bl put_byte
    pop {pc}

@ Appends the byte in r0 to the up channel; waits while the ring buffer is full. Clobbers
@ r1-r3, r12.
    .thumb_func
    .global put_byte
    .type put_byte, %function
put_byte:
    ldr r1, =_SEGGER_RTT + CB_UP0
wait_for_room:
    ldr r2, [r1, #CH_WR]
    adds r3, r2, #1
    cmp r3, #UP_SIZE
    bne no_wrap
    movs r3, #0
no_wrap:
    ldr r12, [r1, #CH_RD]
    cmp r3, r12
    beq wait_for_room
    ldr r12, =up_buffer
    strb r0, [r12, r2]
    dmb
    str r3, [r1, #CH_WR]
    bx lr

    .thumb_func
    .global default_handler
    .type default_handler, %function
default_handler:
    b default_handler

    .ltorg

channel_name:
    .asciz "defmt"
    .align 2
.Ltext_end:

@ The control block, as defmt-rtt's: one up channel, no down channel.
    .data
    .align 2
    .global _SEGGER_RTT
    .type _SEGGER_RTT, %object
_SEGGER_RTT:
    .ascii "SEGGER RTT"
    .space 6
    .word 1, 0
    .word channel_name, up_buffer, UP_SIZE, 0, 0, MODE_BLOCK_IF_FULL
    .size _SEGGER_RTT, . - _SEGGER_RTT

    .bss
    .align 2
    .global lines
    .type lines, %object
lines:
    .word 0
timestamp:
    .word 0
frame:
    .space 16
up_buffer:
    .space UP_SIZE

@ Debug information for the log statements (DWARF 4, written here because the assembler only
@ makes the line table): one compile unit covering .text, and per statement a variable
@ DEFMT_LOG_STATEMENT with the statement's symbol as its linkage name, its address as its
@ location, and the line marked "log statement" above as its declaration. The decl_line values
@ must follow those marks (tests/integration/gdb_defmt.rs checks them against this file).
    .section .debug_abbrev, "", %progbits
.Labbrev:
    .uleb128 1              @ abbreviation 1: the compile unit
    .uleb128 0x11           @ DW_TAG_compile_unit
    .byte 1                 @ DW_CHILDREN_yes
    .uleb128 0x10, 0x17     @ DW_AT_stmt_list, DW_FORM_sec_offset
    .uleb128 0x03, 0x08     @ DW_AT_name, DW_FORM_string
    .uleb128 0x11, 0x01     @ DW_AT_low_pc, DW_FORM_addr
    .uleb128 0x12, 0x06     @ DW_AT_high_pc, DW_FORM_data4 (a length)
    .byte 0, 0
    .uleb128 2              @ abbreviation 2: a log statement
    .uleb128 0x34           @ DW_TAG_variable
    .byte 0                 @ DW_CHILDREN_no
    .uleb128 0x03, 0x0e     @ DW_AT_name, DW_FORM_strp
    .uleb128 0x6e, 0x0e     @ DW_AT_linkage_name, DW_FORM_strp
    .uleb128 0x3a, 0x0b     @ DW_AT_decl_file, DW_FORM_data1
    .uleb128 0x3b, 0x05     @ DW_AT_decl_line, DW_FORM_data2
    .uleb128 0x02, 0x18     @ DW_AT_location, DW_FORM_exprloc
    .byte 0, 0
    .byte 0

    .section .debug_str, "MS", %progbits, 1
.Lstatement_name:
    .asciz "DEFMT_LOG_STATEMENT"
.Lboot_symbol:
    .asciz "{\"package\":\"stm32-opts-firmware\",\"tag\":\"defmt_error\",\"data\":\"boot: {=u8} up channel(s)\",\"disambiguator\":\"2\",\"crate_name\":\"defmt_s\"}"
.Lline_symbol:
    .asciz "{\"package\":\"stm32-opts-firmware\",\"tag\":\"defmt_info\",\"data\":\"line {=u32}\",\"disambiguator\":\"3\",\"crate_name\":\"defmt_s\"}"
.Lfour_symbol:
    .asciz "{\"package\":\"stm32-opts-firmware\",\"tag\":\"defmt_warn\",\"data\":\"four lines, the last {=u32}\",\"disambiguator\":\"4\",\"crate_name\":\"defmt_s\"}"

    .macro log_statement symbol_name, line, address
    .uleb128 2
    .4byte .Lstatement_name
    .4byte \symbol_name
    .byte 1                 @ file 1 of the line table: this file
    .2byte \line
    .uleb128 5              @ DW_OP_addr and the address
    .byte 0x03
    .4byte \address
    .endm

    .section .debug_info, "", %progbits
    .4byte .Linfo_end - .Linfo_start
.Linfo_start:
    .2byte 4                @ DWARF version
    .4byte .Labbrev
    .byte 4                 @ address size
    .uleb128 1
    .4byte 0                @ the line table the assembler makes for this file (the only one)
    .asciz "defmt.s"
    .4byte .Ltext_start
    .4byte .Ltext_end - .Ltext_start
    log_statement .Lboot_symbol, 89, .Lboot
    log_statement .Lline_symbol, 95, .Lline
    log_statement .Lfour_symbol, 102, .Lfour
    .byte 0
.Linfo_end:
